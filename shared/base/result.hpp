// A small std::expected-like result for C++20: either a value or a typed error.
// Used by every parser and by the control plane; no exceptions, no allocation.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>

namespace l2tpx {

template <typename E> struct unexpected {
	constexpr unexpected(E e) : error(e) {} // clang 14 has no CTAD for aggregates
	E error;
};
template <typename E> unexpected(E) -> unexpected<E>;

template <typename T, typename E> class [[nodiscard]] result {
	static_assert(std::is_trivially_copyable_v<E>, "errors are plain enums or small structs");

public:
	result(const T &v) : ok_(true), val_(v) {}
	result(T &&v) : ok_(true), val_(std::move(v)) {}
	template <typename G> result(unexpected<G> e) : ok_(false), err_(E(e.error)) {}
	result(const result &o) : ok_(o.ok_) { o.ok_ ? (void)new (&val_) T(o.val_) : (void)(err_ = o.err_); }
	result(result &&o) noexcept(std::is_nothrow_move_constructible_v<T>) : ok_(o.ok_) {
		o.ok_ ? (void)new (&val_) T(std::move(o.val_)) : (void)(err_ = o.err_);
	}
	result &operator=(const result &o) {
		if (this != &o) {
			this->~result();
			new (this) result(o);
		}
		return *this;
	}
	result &operator=(result &&o) noexcept(std::is_nothrow_move_constructible_v<T>) {
		if (this != &o) {
			this->~result();
			new (this) result(std::move(o));
		}
		return *this;
	}
	~result() {
		if (ok_)
			val_.~T();
	}

	bool has_value() const noexcept { return ok_; }
	explicit operator bool() const noexcept { return ok_; }
	T &value() & { assert(ok_); return val_; }
	const T &value() const & { assert(ok_); return val_; }
	T &&value() && { assert(ok_); return std::move(val_); }
	T &operator*() & { return value(); }
	const T &operator*() const & { return value(); }
	T *operator->() { return &value(); }
	const T *operator->() const { return &value(); }
	E error() const noexcept { assert(!ok_); return err_; }

private:
	bool ok_;
	union {
		T val_;
		E err_;
	};
};

// result<void, E>: success or an error.
template <typename E> class [[nodiscard]] result<void, E> {
public:
	result() : ok_(true), err_() {}
	template <typename G> result(unexpected<G> e) : ok_(false), err_(E(e.error)) {}
	bool has_value() const noexcept { return ok_; }
	explicit operator bool() const noexcept { return ok_; }
	E error() const noexcept { assert(!ok_); return err_; }

private:
	bool ok_;
	E err_;
};

} // namespace l2tpx
