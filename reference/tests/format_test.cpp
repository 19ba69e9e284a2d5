// Exact conversions between MPFR and the target formats: rounding, subnormals, overflow,
// text in and out. Expected bit patterns are derived by hand from IEEE 754 and stated inline.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "nnconform/ref/format.hpp"
#include "nnconform/ref/mpfr_value.hpp"

namespace nnconform::ref {
namespace {

FloatBits parse(const char* text, Format f) {
  auto v = parse_value(text, f);
  EXPECT_TRUE(v.has_value()) << text;
  return v.value_or(FloatBits::quiet_nan(f));
}

TEST(Format, HexIsNormalizedForSubnormals) {
  // 27 * 2^-149 = 1.1011b * 2^-145: the binary32 sigmoid(-100).
  EXPECT_EQ(to_hex({Format::binary32, 27}), "0x1.bp-145");
  EXPECT_EQ(to_hex({Format::binary32, 1}), "0x1p-149");
  EXPECT_EQ(to_hex({Format::binary64, 1}), "0x1p-1074");
  EXPECT_EQ(to_hex({Format::binary16, 1}), "0x1p-24");
  EXPECT_EQ(to_hex({Format::bfloat16, 1}), "0x1p-133");
  EXPECT_EQ(to_hex(FloatBits::zero(Format::binary32, true)), "-0x0p+0");
  EXPECT_EQ(to_hex(FloatBits::zero(Format::binary16, false)), "0x0p+0");
  EXPECT_EQ(to_hex(FloatBits::from_double(1.5)), "0x1.8p+0");
  EXPECT_EQ(to_hex(FloatBits::from_double(-0.1)), "-0x1.999999999999ap-4");
  EXPECT_EQ(to_hex(FloatBits::infinity(Format::bfloat16, true)), "-inf");
  EXPECT_EQ(to_hex(FloatBits::quiet_nan(Format::binary16)), "nan");
  EXPECT_EQ(to_hex({Format::binary16, 0x7bff}), "0x1.ffcp+15");  // 65504
}

TEST(Format, ShortestDecimalRoundTrips) {
  EXPECT_EQ(to_shortest_decimal({Format::binary32, 27}), "3.8e-44");
  EXPECT_EQ(to_shortest_decimal(FloatBits::from_double(0.1)), "0.1");
  EXPECT_EQ(to_shortest_decimal(FloatBits::from_float(0.1f)), "0.1");
  EXPECT_EQ(to_shortest_decimal(FloatBits::from_double(1e30)), "1e+30");
  EXPECT_EQ(to_shortest_decimal({Format::binary16, 0x7bff}), "6.55e+04");
  EXPECT_EQ(to_shortest_decimal({Format::binary16, 0x3c01}), "1.001");  // 1 + 2^-10
  EXPECT_EQ(to_shortest_decimal(FloatBits::zero(Format::binary64, true)), "-0");
  // Every binary16 and bfloat16 value survives the round trip through its shortest decimal.
  for (Format f : {Format::binary16, Format::bfloat16}) {
    for (std::uint64_t bits = 0; bits < 0x10000; bits += 7) {
      FloatBits v{f, bits};
      if (v.is_nan()) continue;
      auto back = parse_value(to_shortest_decimal(v), f);
      ASSERT_TRUE(back.has_value());
      ASSERT_EQ(back->bits, bits) << to_hex(v) << " -> " << to_shortest_decimal(v);
    }
  }
}

TEST(Format, DecimalRoundsDirectlyIntoTheFormat) {
  // 1 + 2^-24 + 2^-80 lies just above the binary32 midpoint between 1 and 1 + 2^-23. Through
  // binary64 it would first become the midpoint and then tie to even (1); rounded directly it
  // is 1 + 2^-23.
  const char* above_midpoint = "1.000000059604644775391452001570204927924311317685840185731649398803710937500000001";
  EXPECT_EQ(parse(above_midpoint, Format::binary32).bits, 0x3f800001u);
  EXPECT_EQ(parse("1.00000005960464477539062500", Format::binary32).bits, 0x3f800000u);  // exact tie: even
  EXPECT_EQ(parse("0x1.000003p+0", Format::binary32).bits, 0x3f800002u);  // hex tie 1+3*2^-24 -> even
  EXPECT_EQ(parse("65520", Format::binary16).bits, 0x7c00u);  // max + half ulp ties to inf
  EXPECT_EQ(parse("65519.99", Format::binary16).bits, 0x7bffu);
  EXPECT_EQ(parse("2.9802322387695312e-08", Format::binary16).bits, 0u);      // 2^-25: tie to 0
  EXPECT_EQ(parse("2.9802322387695313e-08", Format::binary16).bits, 1u);      // just above
  EXPECT_EQ(parse("-2.9802322387695313e-08", Format::binary16).bits, 0x8001u);
  EXPECT_EQ(parse("1e-50", Format::binary32).bits, 0u);
  EXPECT_EQ(parse("-1e-50", Format::binary32).bits, 0x80000000u);
  EXPECT_EQ(parse("inf", Format::binary16).bits, 0x7c00u);
  EXPECT_EQ(parse("-inf", Format::bfloat16).bits, 0xff80u);
  EXPECT_TRUE(parse("nan", Format::binary32).is_nan());
  EXPECT_EQ(parse("1e400", Format::binary64).bits, 0x7ff0000000000000u);
  EXPECT_EQ(parse("3.3895313892515355e38", Format::bfloat16).bits, 0x7f7fu);  // bfloat16 max
  EXPECT_EQ(parse("4.9406564584124654e-324", Format::binary64).bits, 1u);
  EXPECT_FALSE(parse_value("1.5x", Format::binary64));
  EXPECT_FALSE(parse_value(" 1", Format::binary64));
  EXPECT_FALSE(parse_value("", Format::binary64));
  EXPECT_FALSE(parse_value("one", Format::binary64));
}

TEST(Format, RoundToFormatMatchesTheHardware) {
  // For binary32 and binary64 the CPU's own conversions are correctly rounded: a check of
  // round_to_format independent of its implementation, over a spread of magnitudes.
  MpfrValue x(200);
  std::uint64_t state = 12345;
  for (int i = 0; i < 20000; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    double d = std::bit_cast<double>(state);
    if (!std::isfinite(d)) continue;
    mpfr_set_d(x, d, MPFR_RNDN);
    ASSERT_EQ(round_to_format(x, Format::binary64).bits, std::bit_cast<std::uint64_t>(d));
    float f = static_cast<float>(d);  // round to nearest even, subnormals and overflow included
    ASSERT_EQ(round_to_format(x, Format::binary32).bits, std::bit_cast<std::uint32_t>(f)) << d;
  }
}

TEST(Format, UlpDistanceCountsRepresentableSteps) {
  EXPECT_EQ(ulp_distance({Format::binary32, 0x3f800000}, {Format::binary32, 0x3f800001}), 1);
  EXPECT_EQ(ulp_distance(FloatBits::zero(Format::binary32, true), {Format::binary32, 1}), 1);
  EXPECT_EQ(ulp_distance({Format::binary32, 0x80000001}, {Format::binary32, 1}), 2);
  EXPECT_EQ(ulp_distance(FloatBits::zero(Format::binary16, true), FloatBits::zero(Format::binary16, false)), 0);
}

}  // namespace
}  // namespace nnconform::ref
