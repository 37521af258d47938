#pragma once
// Integer flags read strictly, in the type they are stored in. CLI11 alone
// clamps a value that does not fit (--iterations 99999999999999999999 ran
// INT64_MAX steps) and wraps negatives into unsigned ones (--seed -1 and
// --seed 18446744073709551616 both became 2^64-1: the same model). A value
// that is not a whole number in [min, max] is refused, the range in the
// message.
#include <CLI/CLI.hpp>
#include <charconv>
#include <limits>
#include <string>
#include <string_view>

namespace handgrad::cli {

template <class T>
CLI::Validator whole(T min = std::numeric_limits<T>::min(), T max = std::numeric_limits<T>::max()) {
  return CLI::Validator(
      [min, max](std::string& s) -> std::string {
        std::string_view t = s;
        if (!t.empty() && t.front() == '+') t.remove_prefix(1);
        T v{};
        const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
        if (ec == std::errc() && end == t.data() + t.size() && v >= min && v <= max) return "";
        const std::string shown = s.size() > 40 ? s.substr(0, 40) + "..." : s;
        return "must be a whole number in " + std::to_string(min) + ".." + std::to_string(max) +
               ", got '" + shown + "'";
      },
      "");
}

// The most steps --iterations accepts: about 10^12, days at the fastest
// step measured here, and far from where step and sample counts (64-bit)
// or the trainer's step arithmetic could overflow.
inline constexpr long kMaxIterations = 1000000000000L;

}  // namespace handgrad::cli
