// libtorch's CPU allocator with a cache for large blocks. libtorch 1.13 hands every CPU tensor to malloc,
// and glibc returns blocks above its mmap threshold (at most 32 MiB) or at the top of a thread's heap to the
// kernel on free, so each training step faulted in and zeroed ~180 MB of fresh pages (about 44k page faults,
// 7 % of the default step in perf). Steps allocate the same sizes every time: a freed large block is kept and
// handed to the next request of about its size.
#pragma once

#include <cstddef>
#include <cstdint>

namespace secora {

struct CpuCacheStats {
  uint64_t hits = 0;          // large requests served from the cache
  uint64_t misses = 0;        // large requests that mapped fresh memory
  uint64_t cachedBytes = 0;   // bytes held in the cache now (free, ready for reuse)
  uint64_t liveBytes = 0;     // bytes of large blocks in use now
  uint64_t limitBytes = 0;    // the cache is emptied when a miss finds it above this
};

// Installs the allocator as libtorch's CPU allocator (once; later calls only change the settings).
// `limitBytes` 0 turns caching off: large blocks are then freed at once, as libtorch's own allocator does.
void installCpuCache(uint64_t limitBytes);
CpuCacheStats cpuCacheStats();
// Whether blocks handed out (fresh or reused) are filled with libtorch's junk pattern (setJunkFill).
void setCpuCacheJunkFill(bool on);

}  // namespace secora
