// The per-run frame arena: coroutine frames never reuse memory within a run,
// so a pointer into a returned frame stays recognisably dead; freed frames
// are filled with the slab's POISON_FREE byte (0x6b).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "pcirig/model/co.h"
#include "pcirig/model/list.h"
#include "pcirig/model/pci.h"
#include "model/internal.h"

namespace pcirig::model {
namespace {

constexpr std::size_t CHUNK = 1u << 20;

struct Arena {
  std::vector<std::unique_ptr<std::byte[]>> chunks;
  std::size_t chunk = 0, off = 0;
  void* last = nullptr;  // the frame allocated last (frame_check)
};
Arena& arena() {
  static Arena a;
  return a;
}

}  // namespace

void* frame_alloc(std::size_t n) {
  Arena& a = arena();
  n = (n + 15) & ~std::size_t{15};
  if (n > CHUNK) throw std::bad_alloc();
  if (a.chunks.empty()) a.chunks.emplace_back(new std::byte[CHUNK]);
  if (a.off + n > CHUNK) {
    ++a.chunk;
    a.off = 0;
    if (a.chunk == a.chunks.size()) a.chunks.emplace_back(new std::byte[CHUNK]);
  }
  void* p = a.chunks[a.chunk].get() + a.off;
  a.last = p;
  a.off += n;
  return p;
}

void frame_free(void* p, std::size_t n) noexcept { std::memset(p, 0x6b, n); }

void frame_check(void* handle_address, const char* fn) noexcept {
#if defined(__clang__)
  // clang may elide a callee's allocation into its caller's frame (HALO):
  // there is no "frame just allocated" to compare with, and no GCC bug.
  (void)handle_address;
  (void)fn;
  return;
#endif
  if (handle_address == arena().last) return;
  std::fprintf(stderr,
               "pcirig: coroutine %s: handle %p is not its frame %p. The compiler miscompiled a co_await\n"
               "inside an if/while condition (a GCC 12 bug); write `if (bool x = co_await ...)` instead.\n",
               fn, handle_address, arena().last);
  std::abort();
}

void arena_reset() noexcept {
  arena().chunk = 0;
  arena().off = 0;
}

std::string px(const void* p) {
  auto a = reinterpret_cast<std::uintptr_t>(p);
  char buf[48];
  auto& ar = arena();
  for (std::size_t i = 0; i < ar.chunks.size(); ++i) {
    auto b = reinterpret_cast<std::uintptr_t>(ar.chunks[i].get());
    if (a >= b && a < b + CHUNK) {
      // A stable fake vmalloc'ed-stack address: same run, same address.
      std::snprintf(buf, sizeof buf, "ffffc90000%06lx", static_cast<unsigned long>(i * CHUNK + (a - b)));
      return buf;
    }
  }
  auto q = reinterpret_cast<std::uintptr_t>(&pci_cfg_wait);
  if (a >= q && a < q + sizeof(pci_cfg_wait)) {
    std::snprintf(buf, sizeof buf, "pci_cfg_wait+0x%lx", static_cast<unsigned long>(a - q));
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%016lx", static_cast<unsigned long>(a));
  return buf;
}

}  // namespace pcirig::model
