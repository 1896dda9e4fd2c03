// Internal helpers for building Error values and keeping exceptions inside.
#pragma once
#include <exception>
#include <new>
#include <string>
#include <utility>

#include "hashguard/status.hpp"

namespace hashguard::detail {

/// Runs f (returning Error); converts any escaping exception into a status so
/// nothing is ever thrown out of a noexcept public entry point.
template <class F>
Error guard(F&& f) noexcept {
    try {
        return std::forward<F>(f)();
    } catch (const std::bad_alloc&) {
        return {Status::out_of_memory, "out of memory"};
    } catch (const std::exception& ex) {
        try {
            return {Status::internal, std::string("internal error: ") + ex.what()};
        } catch (...) {
            return {Status::internal, {}};
        }
    } catch (...) {
        return {Status::internal, {}};
    }
}

}  // namespace hashguard::detail
