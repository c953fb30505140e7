// Runs batches of our commands in a worker thread (command-worker.mjs) under a watchdog: a batch that
// takes too long is a hang (the worker is terminated and replaced), a worker that dies or runs out of
// heap (resourceLimits) is a crash. Used by compat.mjs and the fuzzer.
import { Worker } from "node:worker_threads";

const WORKER = new URL("./command-worker.mjs", import.meta.url);

export class CommandRunner {
  constructor({ memoryLimitMb = 1024 } = {}) {
    this.memoryLimitMb = memoryLimitMb;
    this.worker = null;
  }
  start() {
    this.worker = new Worker(WORKER, { resourceLimits: { maxOldGenerationSizeMb: this.memoryLimitMb } });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once("message", resolve);
      this.worker.once("error", reject);
    });
  }
  async stop() {
    if (this.worker) await this.worker.terminate();
    this.worker = null;
  }
  /**
   * Runs `jobs` ([tool, ...args] each) on `path` (or on `bytes`, named `path`). Resolves
   * { results: [{ status, internal?, unavailable?, message?, stdout?, stderr? }], rss }, or
   * { hang: true, job } / { crash: message, job } naming the command that was running.
   */
  async run({ jobs, path, bytes, keepOutput = false, timeoutMs }) {
    if (!this.worker) this.start();
    await this.ready;
    const w = this.worker;
    return new Promise((resolve) => {
      let current = null;
      const finish = (value) => {
        clearTimeout(timer);
        w.off("message", onMessage);
        w.off("error", onError);
        w.off("exit", onExit);
        resolve(value);
      };
      const onMessage = (m) => {
        if (m.type === "start") current = m.job;
        else if (m.type === "done") finish({ results: m.results, rss: m.rss });
      };
      const onError = (e) => {
        this.worker = null;
        finish({
          crash: e?.code === "ERR_WORKER_OUT_OF_MEMORY" ? "out of memory" : String(e?.stack ?? e),
          job: current,
        });
      };
      const onExit = () => {
        this.worker = null;
        finish({ crash: "worker exited", job: current });
      };
      const timer = setTimeout(() => {
        this.worker = null;
        w.terminate();
        finish({ hang: true, job: current });
      }, timeoutMs);
      w.on("message", onMessage);
      w.on("error", onError);
      w.on("exit", onExit);
      w.postMessage({ jobs, path, bytes, keepOutput });
    });
  }
}
