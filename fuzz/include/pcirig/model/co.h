// Co<T>: the coroutine type every modelled kernel function returns.
//
// Why coroutines: a kernel function with a scheduling point at every lock
// operation and shared load/store reads like the kernel when each point is a
// `co_await`, and its locals (the on-stack wait entry) really live in its frame.
// Frames come from a per-run arena that never reuses memory during a run, so a
// pointer into a returned frame stays a deterministic "dead" address the
// use-after-return oracle can recognise in the g++ build too.
#pragma once

#include <coroutine>
#include <cstddef>
#include <exception>
#include <utility>

namespace pcirig::model {

// Per-run frame arena (arena.cc). Freed frames are poisoned, never reused.
void* frame_alloc(std::size_t n);
void frame_free(void* p, std::size_t n) noexcept;
// Aborts with a clear message unless `handle_address` is the frame just
// allocated. GCC 12.2 miscompiles a co_await written directly in an if/while
// condition (the handle ends up 8 bytes into the frame and the first resume
// jumps to garbage); write `if (bool x = co_await ...)` instead.
void frame_check(void* handle_address, const char* fn) noexcept;

// Call-stack bookkeeping of the current task (engine.cc).
void frame_push(const char* fn) noexcept;
void frame_pop() noexcept;

template <class T>
class Co;

namespace detail {

struct PromiseBase {
  // The coroutine's own name, captured where the promise is constructed:
  // inside the coroutine, so __builtin_FUNCTION() names the kernel function.
  explicit PromiseBase(const char* f) : fn(f) {}
  const char* fn;
  std::coroutine_handle<> parent;

  static void* operator new(std::size_t n) { return frame_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept { frame_free(p, n); }

  std::suspend_always initial_suspend() noexcept { return {}; }
  struct Final {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      frame_pop();
      auto parent = h.promise().parent;
      return parent ? parent : std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  Final final_suspend() noexcept { return {}; }
  // A report (oops) unwinds the whole task: rethrow to the engine.
  void unhandled_exception() { throw; }
};

template <class T>
struct Promise : PromiseBase {
  Promise(const char* f = __builtin_FUNCTION()) : PromiseBase(f) {}
  T value{};
  Co<T> get_return_object() noexcept;
  void return_value(T v) noexcept { value = std::move(v); }
};

template <>
struct Promise<void> : PromiseBase {
  Promise(const char* f = __builtin_FUNCTION()) : PromiseBase(f) {}
  Co<void> get_return_object() noexcept;
  void return_void() noexcept {}
};

}  // namespace detail

template <class T = void>
class [[nodiscard]] Co {
 public:
  using promise_type = detail::Promise<T>;
  using handle = std::coroutine_handle<promise_type>;

  explicit Co(handle h) noexcept : h_(h) {}
  Co(Co&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Co& operator=(Co&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  Co(const Co&) = delete;
  ~Co() {
    if (h_) h_.destroy();
  }

  // Awaiting a Co is a function call: run the callee until its first
  // scheduling point (symmetric transfer), resume the caller when it returns.
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
    h_.promise().parent = caller;
    frame_push(h_.promise().fn);
    return h_;
  }
  T await_resume() {
    if constexpr (!std::is_void_v<T>) return std::move(h_.promise().value);
  }

  handle raw() const noexcept { return h_; }
  const char* name() const noexcept { return h_.promise().fn; }

 private:
  handle h_;
};

namespace detail {
template <class T>
Co<T> Promise<T>::get_return_object() noexcept {
  auto h = Co<T>::handle::from_promise(*this);
  frame_check(h.address(), fn);
  return Co<T>{h};
}
inline Co<void> Promise<void>::get_return_object() noexcept {
  auto h = Co<void>::handle::from_promise(*this);
  frame_check(h.address(), fn);
  return Co<void>{h};
}
}  // namespace detail

}  // namespace pcirig::model
