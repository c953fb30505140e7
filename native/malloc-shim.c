/*
 * anatomy trace --malloc: preloaded into the traced program (LD_PRELOAD), it records every call of the
 * malloc family: which call, the size asked for, the pointer returned (or freed), the chunk's kind as
 * glibc's malloc marks it in the size word before the pointer (IS_MMAPPED 0x2: a mapping of its own;
 * NON_MAIN_ARENA 0x4: a thread arena; else the brk heap), and the return address of the caller.
 *
 * Records go straight into a shared mapping of the output file (ANATOMY_MALLOC_OUT), so nothing is
 * lost if the program calls _exit or crashes; a header at the start of the file holds the count,
 * taken by atomic increment. The real allocator is glibc's own __libc_malloc and friends (exported
 * for exactly this), so there is no dlsym bootstrap. At exit a destructor copies /proc/self/maps to
 * OUT.maps so call sites can be named.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

enum { OP_MALLOC = 1, OP_CALLOC, OP_REALLOC, OP_FREE, OP_MEMALIGN };

struct header {
  char magic[8];          /* "ANTMALC1" */
  uint32_t record_size;   /* sizeof(struct record) */
  uint32_t records_at;    /* file offset of the first record */
  uint64_t count;         /* records taken so far (atomic) */
};

struct record {
  uint8_t op;
  uint8_t kind;           /* the chunk's size-word bits: 0x2 mmapped, 0x4 non-main arena */
  uint16_t unused;
  uint32_t tid;
  uint64_t size;
  uint64_t ptr;           /* returned, or freed */
  uint64_t old;           /* realloc's old pointer */
  uint64_t caller;
};

#define RECORDS_AT 4096
#define WINDOW_RECORDS (1u << 20) /* 40 MiB of records per mapped window */
#define MAX_WINDOWS 4096

static int out_fd = -1;
static int state; /* 0 not started, 1 starting, 2 recording, 3 off */
static struct header *head;
static struct record *windows[MAX_WINDOWS];
static int lock;
static __thread uint32_t thread_id; /* gettid() is a system call: asked once per thread */

static void take(void) {
  while (__atomic_exchange_n(&lock, 1, __ATOMIC_ACQUIRE)) {
  }
}
static void give(void) { __atomic_store_n(&lock, 0, __ATOMIC_RELEASE); }

static void start(void) {
  take();
  if (state == 0) {
    state = 1;
    const char *path = getenv("ANATOMY_MALLOC_OUT");
    if (path) out_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out_fd >= 0 && ftruncate(out_fd, RECORDS_AT) == 0) {
      head = mmap(NULL, RECORDS_AT, PROT_READ | PROT_WRITE, MAP_SHARED, out_fd, 0);
      if (head == MAP_FAILED) head = NULL;
    }
    if (head) {
      memcpy(head->magic, "ANTMALC1", 8);
      head->record_size = sizeof(struct record);
      head->records_at = RECORDS_AT;
      head->count = 0;
      state = 2;
    } else
      state = 3;
  }
  give();
}

static struct record *slot(void) {
  uint64_t i = __atomic_fetch_add(&head->count, 1, __ATOMIC_RELAXED);
  uint64_t w = i / WINDOW_RECORDS;
  if (w >= MAX_WINDOWS) return NULL;
  if (!__atomic_load_n(&windows[w], __ATOMIC_ACQUIRE)) {
    take();
    if (!windows[w]) {
      off_t at = RECORDS_AT + (off_t)w * WINDOW_RECORDS * sizeof(struct record);
      off_t end = at + (off_t)WINDOW_RECORDS * sizeof(struct record);
      void *p = MAP_FAILED;
      if (ftruncate(out_fd, end) == 0)
        p = mmap(NULL, (size_t)WINDOW_RECORDS * sizeof(struct record), PROT_READ | PROT_WRITE, MAP_SHARED,
                 out_fd, at);
      if (p != MAP_FAILED) __atomic_store_n(&windows[w], (struct record *)p, __ATOMIC_RELEASE);
    }
    give();
    if (!windows[w]) return NULL;
  }
  return &windows[w][i % WINDOW_RECORDS];
}

/* The bits glibc keeps in the size word just before a chunk's user pointer. */
static uint8_t kind_of(void *p) { return p ? (uint8_t)(((size_t *)p)[-1] & 0x6) : 0; }

static void note(uint8_t op, size_t size, void *ptr, void *old, void *caller, uint8_t kind) {
  if (state != 2) {
    if (state != 0) return;
    int e = errno;
    start();
    errno = e;
    if (state != 2) return;
  }
  struct record *r = slot();
  if (!r) return;
  r->kind = kind;
  if (!thread_id) thread_id = (uint32_t)gettid();
  r->tid = thread_id;
  r->size = size;
  r->ptr = (uint64_t)(uintptr_t)ptr;
  r->old = (uint64_t)(uintptr_t)old;
  r->caller = (uint64_t)(uintptr_t)caller;
  __atomic_store_n(&r->op, op, __ATOMIC_RELEASE); /* written last: a record with op 0 was never finished */
}

void *malloc(size_t n) {
  void *p = __libc_malloc(n);
  note(OP_MALLOC, n, p, NULL, __builtin_return_address(0), kind_of(p));
  return p;
}

void *calloc(size_t k, size_t n) {
  void *p = __libc_calloc(k, n);
  note(OP_CALLOC, k * n, p, NULL, __builtin_return_address(0), kind_of(p));
  return p;
}

void *realloc(void *old, size_t n) {
  void *p = __libc_realloc(old, n);
  note(OP_REALLOC, n, p, old, __builtin_return_address(0), kind_of(p));
  return p;
}

void free(void *p) {
  if (!p) return;
  uint8_t kind = kind_of(p);
  note(OP_FREE, 0, p, NULL, __builtin_return_address(0), kind);
  __libc_free(p);
}

void *reallocarray(void *old, size_t k, size_t n) {
  size_t total;
  if (__builtin_mul_overflow(k, n, &total)) {
    errno = ENOMEM;
    return NULL;
  }
  void *p = __libc_realloc(old, total);
  note(OP_REALLOC, total, p, old, __builtin_return_address(0), kind_of(p));
  return p;
}

void *memalign(size_t align, size_t n) {
  void *p = __libc_memalign(align, n);
  note(OP_MEMALIGN, n, p, NULL, __builtin_return_address(0), kind_of(p));
  return p;
}

void *aligned_alloc(size_t align, size_t n) {
  void *p = __libc_memalign(align, n);
  note(OP_MEMALIGN, n, p, NULL, __builtin_return_address(0), kind_of(p));
  return p;
}

int posix_memalign(void **out, size_t align, size_t n) {
  if (align % sizeof(void *) || (align & (align - 1))) return EINVAL;
  void *p = __libc_memalign(align, n);
  if (!p) return ENOMEM;
  note(OP_MEMALIGN, n, p, NULL, __builtin_return_address(0), kind_of(p));
  *out = p;
  return 0;
}

void *valloc(size_t n) {
  void *p = __libc_memalign((size_t)sysconf(_SC_PAGESIZE), n);
  note(OP_MEMALIGN, n, p, NULL, __builtin_return_address(0), kind_of(p));
  return p;
}

/* The maps at exit, to name the call sites (a program that calls _exit goes without). */
__attribute__((destructor)) static void copy_maps(void) {
  const char *path = getenv("ANATOMY_MALLOC_OUT");
  if (!path || state != 2) return;
  char name[4096];
  size_t n = strlen(path);
  if (n + 6 > sizeof name) return;
  memcpy(name, path, n);
  memcpy(name + n, ".maps", 6);
  int in = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  int to = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  char buf[8192];
  ssize_t got;
  while (in >= 0 && to >= 0 && (got = read(in, buf, sizeof buf)) > 0)
    if (write(to, buf, (size_t)got) != got) break;
  if (in >= 0) close(in);
  if (to >= 0) close(to);
}
