// The one thread that runs every encoder's tensor work in this process. libtorch's OpenMP pool belongs to
// the thread that uses it: work spread over libuv's pool threads made a team per thread, oversubscribed the
// cores and ran 10-20x slower than on one thread. Workers hand their job here and wait for it.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

namespace secora {

class ComputeThread {
 public:
  // Runs `job` on the compute thread and returns when it has finished (rethrowing what it threw).
  static void run(std::function<void()> job) {
    static ComputeThread* instance = new ComputeThread();  // never destroyed: the thread lives with the process
    std::packaged_task<void()> task(std::move(job));
    auto done = task.get_future();
    {
      std::lock_guard<std::mutex> lock(instance->mutex_);
      instance->jobs_.push_back(std::move(task));
    }
    instance->ready_.notify_one();
    done.get();
  }

 private:
  ComputeThread() {
    std::thread([this] {
      for (;;) {
        std::packaged_task<void()> task;
        {
          std::unique_lock<std::mutex> lock(mutex_);
          ready_.wait(lock, [this] { return !jobs_.empty(); });
          task = std::move(jobs_.front());
          jobs_.pop_front();
        }
        task();
      }
    }).detach();
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::packaged_task<void()>> jobs_;
};

}  // namespace secora
