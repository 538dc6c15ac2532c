#pragma once
// The one place for tapegrad's version (CMake reads it from here).
#define TAPEGRAD_VERSION_MAJOR 0
#define TAPEGRAD_VERSION_MINOR 1
#define TAPEGRAD_VERSION_PATCH 0

namespace tapegrad {
inline constexpr int version_major = TAPEGRAD_VERSION_MAJOR;
inline constexpr int version_minor = TAPEGRAD_VERSION_MINOR;
inline constexpr int version_patch = TAPEGRAD_VERSION_PATCH;
inline constexpr const char* version_string = "0.1.0";
}  // namespace tapegrad
