/*
 * anatomy trace --malloc: preloaded into the traced program (LD_PRELOAD), it counts every call of the
 * malloc family: the calls, each allocation by the size asked for and by where glibc's malloc put the
 * chunk (the bits of the size word before the pointer: IS_MMAPPED 0x2, a mapping of its own;
 * NON_MAIN_ARENA 0x4, a thread arena; else the brk heap), the frees by the same, the bytes of the
 * chunks still allocated, and the call sites (the caller's return address).
 *
 * A recorder that writes a record per call costs more than the call: glibc's malloc and free of a
 * small block take a few nanoseconds. So the counts are kept per thread, in plain (not atomic)
 * counters of a block of the output file mapped shared: nothing is written at exit, and nothing is
 * lost if the program calls _exit or crashes. The file is ANATOMY_MALLOC_OUT.PID (a forked child
 * starts its own). At exit a destructor copies /proc/self/maps to OUT.PID.maps to name the call
 * sites. The real allocator is glibc's own __libc_malloc and friends (exported for exactly this), so
 * there is no dlsym bootstrap.
 *
 * The file: a 4096-byte header, then one BLOCK_SIZE block per thread (see src/trace/malloc.ts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

enum { OP_MALLOC, OP_CALLOC, OP_REALLOC, OP_FREE, OP_MEMALIGN, OP_FAILED, OPS = 8 };
enum { CLASSES = 12, HOMES = 3, SITES = 512, PROBES = 8 };

struct tally {
  uint64_t count, bytes;
};

struct site {
  uint64_t caller, count, bytes;
};

struct header {
  char magic[8];       /* "ANTMALC2" */
  uint32_t block_size; /* sizeof(struct block) rounded up to a page */
  uint32_t blocks_at;  /* file offset of the first block */
  uint32_t classes, homes, sites, pid;
  uint64_t blocks;     /* blocks claimed so far */
};

struct block {
  uint32_t tid;
  uint32_t used;
  uint64_t calls[OPS];
  struct tally alloc[CLASSES][HOMES]; /* by the size asked for, and where the chunk went */
  struct tally freed[HOMES];          /* bytes: the chunks' sizes */
  uint64_t chunk_bytes_allocated;     /* the chunks' own sizes (with glibc's header and rounding) */
  uint64_t chunk_bytes_freed;
  struct tally other_sites;           /* allocations from sites beyond the table */
  struct site sites[SITES];
};

#define HEADER_SIZE 4096
#define BLOCK_SIZE ((sizeof(struct block) + 4095) & ~(size_t)4095)

static int out_fd = -1;
static int state; /* 0 not started, 2 counting, 3 off */
static pid_t owner;
static struct header *head;
static int lock;
static __thread struct block *mine __attribute__((tls_model("initial-exec")));
static __thread int claiming __attribute__((tls_model("initial-exec")));

static void take(void) {
  while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE)) {
  }
}
static void give(void) { __atomic_store_n(&lock, 0, __ATOMIC_RELEASE); }

/* The output file of this process, opened at its first call (under the lock). */
static void start(void) {
  state = 3;
  const char *prefix = getenv("ANATOMY_MALLOC_OUT");
  char path[4096];
  if (!prefix || snprintf(path, sizeof path, "%s.%d", prefix, (int)getpid()) >= (int)sizeof path) return;
  out_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out_fd < 0 || ftruncate(out_fd, HEADER_SIZE) != 0) return;
  void *h = mmap(NULL, HEADER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, out_fd, 0);
  if (h == MAP_FAILED) return;
  head = h;
  memcpy(head->magic, "ANTMALC2", 8);
  head->block_size = (uint32_t)BLOCK_SIZE;
  head->blocks_at = HEADER_SIZE;
  head->classes = CLASSES;
  head->homes = HOMES;
  head->sites = SITES;
  head->pid = (uint32_t)getpid();
  head->blocks = 0;
  owner = getpid();
  state = 2;
}

/* This thread's block, claimed at its first call; NULL when counting is off. */
static struct block *claim(void) {
  if (claiming || state == 3) return NULL; /* off, or mmap or the file's growth called malloc */
  claiming = 1;
  int e = errno;
  take();
  if (state == 0) start();
  struct block *b = NULL;
  if (state == 2) {
    off_t at = HEADER_SIZE + (off_t)head->blocks * (off_t)BLOCK_SIZE;
    if (ftruncate(out_fd, at + (off_t)BLOCK_SIZE) == 0) {
      void *p = mmap(NULL, BLOCK_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, out_fd, at);
      if (p != MAP_FAILED) {
        b = p;
        b->tid = (uint32_t)gettid();
        b->used = 1;
        head->blocks++;
      }
    }
  }
  give();
  errno = e;
  mine = b;
  claiming = 0;
  return b;
}

static inline struct block *me(void) {
  struct block *b = mine;
  return __builtin_expect(b != NULL, 1) ? b : claim();
}

/* The class of a size: up to 16, 32, 64 ... 1024 bytes, 4, 16, 64, 128 KiB, and above. */
static const uint8_t class_of_bits[65] = {0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 7, 8, 8, 9, 9, 10,
                                          11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,
                                          11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,
                                          11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 11,
                                          11, 11};

static inline unsigned class_of(size_t n) {
  return class_of_bits[n <= 1 ? 0 : 64 - __builtin_clzl(n - 1)];
}

/* glibc's size word just before a chunk's user pointer. */
static inline size_t size_word(void *p) { return ((size_t *)p)[-1]; }
static inline unsigned home_of(size_t word) { return word & 0x2 ? 1 : word & 0x4 ? 2 : 0; }

static inline void counted(struct block *b, unsigned op, size_t n, void *p, void *caller) {
  if (!p) {
    b->calls[OP_FAILED]++;
    return;
  }
  b->calls[op]++;
  size_t word = size_word(p);
  struct tally *t = &b->alloc[class_of(n)][home_of(word)];
  t->count++;
  t->bytes += n;
  b->chunk_bytes_allocated += word & ~(size_t)7;
  uint64_t c = (uint64_t)(uintptr_t)caller;
  unsigned i = (unsigned)((c * 0x9E3779B97F4A7C15ull) >> 55); /* 9 bits: SITES */
  for (unsigned k = 0; k < PROBES; k++, i = (i + 1) % SITES) {
    struct site *s = &b->sites[i];
    if (s->caller == c || s->caller == 0) {
      s->caller = c;
      s->count++;
      s->bytes += n;
      return;
    }
  }
  b->other_sites.count++;
  b->other_sites.bytes += n;
}

static inline void freeing(struct block *b, void *p) {
  size_t word = size_word(p);
  struct tally *t = &b->freed[home_of(word)];
  t->count++;
  t->bytes += word & ~(size_t)7;
  b->chunk_bytes_freed += word & ~(size_t)7;
}

void *malloc(size_t n) {
  void *p = __libc_malloc(n);
  struct block *b = me();
  if (b) counted(b, OP_MALLOC, n, p, __builtin_return_address(0));
  return p;
}

void *calloc(size_t k, size_t n) {
  void *p = __libc_calloc(k, n);
  struct block *b = me();
  if (b) counted(b, OP_CALLOC, k * n, p, __builtin_return_address(0));
  return p;
}

void free(void *p) {
  if (!p) return;
  struct block *b = me();
  if (b) {
    b->calls[OP_FREE]++;
    freeing(b, p);
  }
  __libc_free(p);
}

static void *reallocated(void *old, size_t n, void *caller) {
  struct block *b = me();
  /* The old chunk's size word, read before realloc may free it. */
  size_t word = old ? size_word(old) : 0;
  void *p = __libc_realloc(old, n);
  if (!b) return p;
  if (old && (p || n == 0)) {
    struct tally *t = &b->freed[home_of(word)];
    t->count++;
    t->bytes += word & ~(size_t)7;
    b->chunk_bytes_freed += word & ~(size_t)7;
  }
  if (p || n != 0) counted(b, OP_REALLOC, n, p, caller);
  else b->calls[OP_REALLOC]++;
  return p;
}

void *realloc(void *old, size_t n) { return reallocated(old, n, __builtin_return_address(0)); }

void *reallocarray(void *old, size_t k, size_t n) {
  size_t total;
  if (__builtin_mul_overflow(k, n, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  return reallocated(old, total, __builtin_return_address(0));
}

static void *aligned(size_t align, size_t n, void *caller) {
  void *p = __libc_memalign(align, n);
  struct block *b = me();
  if (b) counted(b, OP_MEMALIGN, n, p, caller);
  return p;
}

void *memalign(size_t align, size_t n) { return aligned(align, n, __builtin_return_address(0)); }
void *aligned_alloc(size_t align, size_t n) { return aligned(align, n, __builtin_return_address(0)); }
void *valloc(size_t n) { return aligned((size_t)sysconf(_SC_PAGESIZE), n, __builtin_return_address(0)); }

int posix_memalign(void **out, size_t align, size_t n) {
  if (align % sizeof(void *) || (align & (align - 1))) return EINVAL;
  void *p = aligned(align, n, __builtin_return_address(0));
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

/* A forked child counts into a file of its own, from its own blocks. */
static void forked_child(void) {
  lock = 0;
  mine = NULL;
  state = 0;
  head = NULL;
  out_fd = -1; /* the parent's descriptor stays open (O_CLOEXEC): it is the parent's file */
}

__attribute__((constructor)) static void init(void) { pthread_atfork(NULL, NULL, forked_child); }

/* The maps at exit, to name the call sites (a program that calls _exit goes without). */
__attribute__((destructor)) static void copy_maps(void) {
  const char *prefix = getenv("ANATOMY_MALLOC_OUT");
  if (!prefix || state != 2 || owner != getpid()) return;
  char name[4096];
  if (snprintf(name, sizeof name, "%s.%d.maps", prefix, (int)getpid()) >= (int)sizeof name) return;
  int in = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  int to = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  char buf[8192];
  ssize_t got;
  while (in >= 0 && to >= 0 && (got = read(in, buf, sizeof buf)) > 0)
    if (write(to, buf, (size_t)got) != got) break;
  if (in >= 0) close(in);
  if (to >= 0) close(to);
}
