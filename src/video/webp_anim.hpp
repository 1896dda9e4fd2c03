// Animated WebP as a video (webp_anim.cpp). Internal to the library.
#pragma once
#include <cstddef>
#include <cstdint>

#include "modules/module_abi.h"

namespace hashguard::detail {

/// RIFF/WEBP with a VP8X chunk whose animation flag is set.
bool is_animated_webp(const std::uint8_t* data, std::size_t len) noexcept;

/// decode_video's contract (module_abi.h) over an animated WebP, with libwebp:
/// every composited canvas to r->on_frame as HG_CHROMA_BGRA, fps the average
/// rate, the same limits and statuses. 0 or the status that stopped it.
int decode_webp_animation(hg_video_request* r) noexcept;

}  // namespace hashguard::detail
