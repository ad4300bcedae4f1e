// The per-run frame arena: coroutine frames never reuse memory within a run,
// so a pointer into a returned frame stays recognisably dead; freed frames
// are filled with the slab's POISON_FREE byte (0x6b).
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
  if (std::getenv("PCIRIG_DEBUG_ARENA")) std::fprintf(stderr, "alloc %zu -> %p\n", n, p);
  a.off += n;
  return p;
}

void frame_free(void* p, std::size_t n) noexcept { if (std::getenv("PCIRIG_DEBUG_ARENA")) std::fprintf(stderr, "free %p %zu\n", p, n); std::memset(p, 0x6b, n); }

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
