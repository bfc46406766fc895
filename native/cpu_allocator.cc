#include "cpu_allocator.h"

#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <c10/util/Exception.h>
#include <sys/mman.h>

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>

namespace secora {
namespace {

// Requests from this size on are cached; smaller ones go to libtorch's own alloc_cpu (glibc keeps those).
constexpr size_t kLargeMin = size_t{1} << 20;
// Large blocks are whole 64 KiB units, and a cached block up to a quarter larger than asked serves a request.
constexpr size_t kGranule = size_t{64} << 10;

// libtorch's junk pattern (c10's memset_junk): NaN as float, a huge integer otherwise.
void junkFill(void* data, size_t n) {
  constexpr int32_t kJunk = 0x7fedbeef;
  auto* words = static_cast<int32_t*>(data);
  const size_t count = n / sizeof(int32_t);
  for (size_t i = 0; i < count; ++i) words[i] = kJunk;
  std::memset(static_cast<char*>(data) + count * sizeof(int32_t), 0xff, n % sizeof(int32_t));
}

class CachingCpuAllocator final : public c10::Allocator {
 public:
  c10::DataPtr allocate(size_t n) const override {
    return const_cast<CachingCpuAllocator*>(this)->take(n);
  }
  c10::DeleterFnPtr raw_deleter() const override { return &CachingCpuAllocator::release; }

  static CachingCpuAllocator& instance() {
    static auto* a = new CachingCpuAllocator();  // never destroyed: tensors may outlive static destruction
    return *a;
  }

  void setLimit(uint64_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    limit_ = bytes;
    if (limit_ == 0) freeCachedLocked();
  }
  CpuCacheStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    CpuCacheStats s = stats_;
    s.limitBytes = limit_;
    return s;
  }
  void setJunkFill(bool on) { junk_ = on; }

 private:
  c10::DataPtr take(size_t n) {
    if (n < kLargeMin || limit_.load() == 0) {
      void* data = n == 0 ? nullptr : c10::alloc_cpu(n);  // alloc_cpu applies libtorch's own fill flags
      return {data, data, &CachingCpuAllocator::release, c10::Device(c10::DeviceType::CPU)};
    }
    const size_t size = (n + kGranule - 1) / kGranule * kGranule;
    void* data = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = free_.lower_bound(size);
      if (it != free_.end() && it->first <= size + size / 4) {
        data = it->second;
        live_[data] = it->first;
        stats_.cachedBytes -= it->first;
        stats_.liveBytes += it->first;
        stats_.hits++;
        free_.erase(it);
      } else {
        if (stats_.cachedBytes > limit_) freeCachedLocked();
        data = mapFresh(size);
        if (data == nullptr) {  // out of memory: give the cache back and try once more
          freeCachedLocked();
          data = mapFresh(size);
        }
        TORCH_CHECK(data != nullptr, "secora's CPU allocator: out of memory allocating ", n, " bytes");
        live_[data] = size;
        stats_.liveBytes += size;
        stats_.misses++;
      }
    }
    if (junk_) junkFill(data, n);
    return {data, data, &CachingCpuAllocator::release, c10::Device(c10::DeviceType::CPU)};
  }

  static void* mapFresh(size_t size) {
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    return p;
  }

  // The deleter of every DataPtr this allocator makes (small ones included, so raw_deleter holds for all).
  static void release(void* data) {
    if (data == nullptr) return;
    auto& self = instance();
    {
      std::lock_guard<std::mutex> lock(self.mutex_);
      auto it = self.live_.find(data);
      if (it != self.live_.end()) {
        const size_t size = it->second;
        self.live_.erase(it);
        self.stats_.liveBytes -= size;
        if (self.limit_ > 0) {
          self.free_.emplace(size, data);
          self.stats_.cachedBytes += size;
          return;
        }
        munmap(data, size);
        return;
      }
    }
    c10::free_cpu(data);
  }

  void freeCachedLocked() {
    for (auto& [size, data] : free_) munmap(data, size);
    free_.clear();
    stats_.cachedBytes = 0;
  }

  std::mutex mutex_;
  std::multimap<size_t, void*> free_;         // cached blocks by size
  std::unordered_map<void*, size_t> live_;    // large blocks in use, with their mapped size
  std::atomic<uint64_t> limit_{0};
  CpuCacheStats stats_;
  std::atomic<bool> junk_{false};
};

}  // namespace

void installCpuCache(uint64_t limitBytes) {
  static std::once_flag installed;
  auto& a = CachingCpuAllocator::instance();
  a.setLimit(limitBytes);
  std::call_once(installed, [&] { c10::SetCPUAllocator(&a, /*priority=*/1); });
}

CpuCacheStats cpuCacheStats() { return CachingCpuAllocator::instance().stats(); }

void setCpuCacheJunkFill(bool on) { CachingCpuAllocator::instance().setJunkFill(on); }

}  // namespace secora
