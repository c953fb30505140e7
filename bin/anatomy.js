#!/usr/bin/env node
// CommonJS (bin/package.json, like dist/cli/): an ES module entry would make Node start its ESM loader,
// about 5 ms that `node -e 0` does not spend. A dist/ built before the CommonJS bundles is still run.
try {
  require("../dist/cli/main.js");
} catch (e) {
  if (e.code !== "ERR_REQUIRE_ESM" && e.code !== "ERR_REQUIRE_ASYNC_MODULE") throw e;
  import("../dist/cli/main.js");
}
