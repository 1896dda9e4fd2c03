// Decoding through a format module (modules.hpp, modules/module_abi.h): the
// request with the limits, the pixel allocator and the limit checks the
// module calls back, and the module's status and message turned into an
// Error. Used by the HEIC/AVIF and TIFF decoders.
#include <algorithm>
#include <cstring>
#include <string>

#include "decode/decode_internal.hpp"
#include "decode/modules.hpp"

namespace hashguard::detail {

namespace {

// The module's allocator callback: ctx is the Image being decoded into.
std::uint8_t* alloc_pixels(void* ctx, int width, int height, int channels) {
    Image& out = *static_cast<Image*>(ctx);
    try {
        allocate(out, width, height, channels);
    } catch (...) {
        return nullptr;
    }
    return out.pixels.data();
}

// An Error into the request's status and message (0 when none).
int report(hg_module_request* r, const Error& e) noexcept {
    if (!e) return 0;
    const std::size_t n = std::min(e.message.size(), sizeof r->message - 1);
    std::memcpy(r->message, e.message.data(), n);
    r->message[n] = 0;
    return static_cast<int>(e.code);
}

int check_size(hg_module_request* r, std::uint64_t width, std::uint64_t height, const char* what) {
    try {
        return report(r, check_dimensions(width, height, *static_cast<const DecodeOptions*>(r->host),
                                          what ? what : "image"));
    } catch (...) {  // building the message
        return static_cast<int>(Status::out_of_memory);
    }
}

int check_time(hg_module_request* r) {
    if (!past_deadline()) return 0;
    try {
        return report(r, time_limit_error(*static_cast<const DecodeOptions*>(r->host)));
    } catch (...) {
        return static_cast<int>(Status::limit_time);
    }
}

hg_module_request request_for(const std::uint8_t* data, std::size_t len, const DecodeOptions& opt) {
    hg_module_request r{};
    r.data = data;
    r.len = len;
    r.max_dimension = static_cast<std::uint32_t>(opt.max_dimension);
    r.max_pixels = opt.max_pixels;
    r.max_memory_bytes = opt.max_memory_bytes;
    r.check_size = check_size;
    r.check_time = check_time;
    r.host = const_cast<DecodeOptions*>(&opt);  // only ever read back as const
    return r;
}

Error module_error(const char* what, int status, const hg_module_request& r) {
    const Status s =
        status > 0 && status <= static_cast<int>(kLastStatus) ? static_cast<Status>(status) : Status::internal;
    std::string msg(r.message, strnlen(r.message, sizeof r.message));
    return {s, msg.empty() ? std::string(what) + " module: " + status_name(s) : msg};
}

const hg_module_v1* module_for(const char* name, const char* what, Error& err) {
    std::string why;
    const hg_module_v1* m = find_module(name, why);
    if (!m) err = {Status::module_unavailable, std::string(what) + ": " + why};
    return m;
}

}  // namespace

Error probe_with_module(const char* name, const char* what, const std::uint8_t* data, std::size_t len,
                        const DecodeOptions& opt, HeaderInfo& info) {
    Error err;
    const hg_module_v1* m = module_for(name, what, err);
    if (!m) return err;
    if (!m->probe) return {Status::internal, std::string("the ") + name + " module has no probe"};
    hg_module_request r = request_for(data, len, opt);
    if (int s = m->probe(&r)) return module_error(what, s, r);
    info.width = r.width;
    info.height = r.height;
    return {};
}

Error decode_with_module(const char* name, const char* what, const std::uint8_t* data, std::size_t len,
                         const DecodeOptions& opt, Image& out) {
    Error err;
    const hg_module_v1* m = module_for(name, what, err);
    if (!m) return err;
    if (!m->decode) return {Status::internal, std::string("the ") + name + " module decodes no images"};
    hg_module_request r = request_for(data, len, opt);
    r.alloc_ctx = &out;
    r.alloc_pixels = alloc_pixels;
    if (int s = m->decode(&r)) return module_error(what, s, r);
    if (out.width <= 0 || out.height <= 0 || (out.channels != 1 && out.channels != 3) ||
        out.pixels.size() != static_cast<std::size_t>(out.width) * out.height * out.channels)
        return {Status::internal, std::string("the ") + name + " module returned without pixels"};
    return {};
}

}  // namespace hashguard::detail
