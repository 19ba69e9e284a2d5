// Hard points of the activations of issue 4 against the MPFR reference: each expected value is
// the correctly rounded result printed by `nnconform eval FUNCTION --format F x=X [params] -v`
// (the reference of reference/, evaluated once when this table was written; the offset is where
// the exact value lies from it, in ulp). The kernels claim 0.5 ulp plus a small fraction, so
// away from near-ties (|offset| < 0.499 here) they must return exactly these values.
// The inputs are the values as rounded into the format (the tool's own rounding).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "nnconform/impl/nn.hpp"

namespace ni = nnconform::impl;

namespace {

struct Golden {
  const char* function;
  std::vector<double> params;
  bool binary64;
  double x;
  double expected;
};

// clang-format off
const Golden kGolden[] = {
    {"silu", {}, true, -0x1.77p+9, -0x1.8p-1073},  // offset 0.11321
    {"silu", {}, true, -0x1.748p+9, -0x1.aap-1066},  // offset 0.41864
    {"silu", {}, true, -0x1.5ep+9, -0x1.7aa3cdf7f304ep-1001},  // offset 0.309845
    {"silu", {}, true, -0x1.9p+6, -0x1.4bd78485119p-138},  // offset -0.409795
    {"silu", {}, true, -0x1.4p+4, -0x1.621a7eaac634ap-25},  // offset 0.225628
    {"silu", {}, true, -0x1p+0, -0x1.136561454ba86p-2},  // offset -0.302593
    {"silu", {}, true, -0x1p-30, -0x1.fffffffcp-32},  // offset -3.03165e-13
    {"silu", {}, true, 0x1p-30, 0x1.00000002p-31},  // offset -1.51582e-13
    {"silu", {}, true, 0x1p-1, 0x1.3eb2fd4d34391p-2},  // offset -0.257222
    {"silu", {}, true, 0x1.8p+1, 0x1.6dc9d8d293c0dp+1},  // offset -0.233164
    {"silu", {}, true, 0x1.ep+4, 0x1.dfffffffffceap+4},  // offset -0.181012
    {"silu", {}, true, 0x1.5ep+9, 0x1.5ep+9},  // offset -2.64698e-23
    {"silu", {}, false, -0x1.77p+9, -0x0p+0},  // offset -1.01782e-278
    {"silu", {}, false, -0x1.748p+9, -0x0p+0},  // offset -1.5005e-276
    {"silu", {}, false, -0x1.5ep+9, -0x0p+0},  // offset -4.92527e-257
    {"silu", {}, false, -0x1.9p+6, -0x1.4bep-138},  // offset 0.265073
    {"silu", {}, false, -0x1.4p+4, -0x1.621a7ep-25},  // offset -0.333543
    {"silu", {}, false, -0x1p+0, -0x1.136562p-2},  // offset 0.364657
    {"silu", {}, false, -0x1p-30, -0x1p-31},  // offset 0.00390625
    {"silu", {}, false, 0x1p-30, 0x1p-31},  // offset 0.00390625
    {"silu", {}, false, 0x1p-1, 0x1.3eb2fep-2},  // offset -0.349211
    {"silu", {}, false, 0x1.8p+1, 0x1.6dc9d8p+1},  // offset 0.411284
    {"silu", {}, false, 0x1.ep+4, 0x1.ep+4},  // offset -1.47183e-06
    {"silu", {}, false, 0x1.5ep+9, 0x1.5ep+9},  // offset -4.93038e-32
    {"swish", {0.75}, true, -0x1.c2p+9, -0x1.fe18e73144c93p-965},  // offset 0.437999
    {"swish", {0.75}, true, -0x1.9p+6, -0x1.5bb4fb231c343p-102},  // offset 0.401635
    {"swish", {0.75}, true, -0x1p+1, -0x1.759b8355a1bbp-2},  // offset 0.306479
    {"swish", {0.75}, true, 0x1.8p+0, 0x1.21e329b1c8fc4p+0},  // offset 0.480698
    {"swish", {0.75}, true, 0x1.4p+5, 0x1.3fffffffffdf1p+5},  // offset 0.212659
    {"swish", {0.75}, false, -0x1.c2p+9, -0x0p+0},  // offset -4.5597e-246
    {"swish", {0.75}, false, -0x1.9p+6, -0x1.5bb4fcp-102},  // offset 0.431425
    {"swish", {0.75}, false, -0x1p+1, -0x1.759b84p-2},  // offset 0.33275
    {"swish", {0.75}, false, 0x1.8p+0, 0x1.21e32ap+0},  // offset -0.152763
    {"swish", {0.75}, false, 0x1.4p+5, 0x1.4p+5},  // offset -9.81218e-07
    {"swish", {3.3}, true, -0x1.9p+7, -0x1.6164946c78812p-945},  // offset 0.191556
    {"swish", {3.3}, true, -0x1.999999999999ap-4, -0x1.569f6a7aa22e1p-5},  // offset -0.446534
    {"swish", {3.3}, true, 0x1.3333333333333p-2, 0x1.bff39d55c1dbep-3},  // offset -0.397969
    {"swish", {3.3}, true, 0x1.6p+3, 0x1.5ffffffffffffp+3},  // offset -0.0640763
    {"swish", {3.3}, false, -0x1.9p+7, -0x0p+0},  // offset -3.31242e-240
    {"swish", {3.3}, false, -0x1.99999ap-4, -0x1.569f6ap-5},  // offset -0.405842
    {"swish", {3.3}, false, 0x1.333334p-2, 0x1.bff39ep-3},  // offset 0.350314
    {"swish", {3.3}, false, 0x1.6p+3, 0x1.6p+3},  // offset -1.982e-09
    {"mish", {}, true, -0x1.748p+9, -0x1.aap-1066},  // offset 0.41864
    {"mish", {}, true, -0x1.9p+6, -0x1.4bd78485119p-138},  // offset -0.409795
    {"mish", {}, true, -0x1.4p+4, -0x1.621a7eb0e5925p-25},  // offset -0.185522
    {"mish", {}, true, -0x1p+0, -0x1.36aedf68a4413p-2},  // offset -0.434922
    {"mish", {}, true, -0x1.5798ee2308c3ap-27, -0x1.9c511d9ebf625p-28},  // offset 0.0470109
    {"mish", {}, true, 0x1.5798ee2308c3ap-27, 0x1.9c511de888d99p-28},  // offset 0.408325
    {"mish", {}, true, 0x1p-1, 0x1.804047da23fa3p-2},  // offset -0.49143
    {"mish", {}, true, 0x1p+1, 0x1.f1a74b5bf6f63p+0},  // offset -0.165802
    {"mish", {}, true, 0x1.4p+4, 0x1.4p+4},  // offset -0.0478322
    {"mish", {}, true, 0x1.3f33333333333p+5, 0x1.3f33333333333p+5},  // offset -2.47572e-19
    {"mish", {}, false, -0x1.748p+9, -0x0p+0},  // offset -1.5005e-276
    {"mish", {}, false, -0x1.9p+6, -0x1.4bep-138},  // offset 0.265073
    {"mish", {}, false, -0x1.4p+4, -0x1.621a7ep-25},  // offset -0.345501
    {"mish", {}, false, -0x1p+0, -0x1.36aeep-2},  // offset 0.295622
    {"mish", {}, false, -0x1.5798eep-27, -0x1.9c511ep-28},  // offset 0.272058
    {"mish", {}, false, 0x1.5798eep-27, 0x1.9c511ep-28},  // offset -0.127942
    {"mish", {}, false, 0x1p-1, 0x1.804048p-2},  // offset -0.0739443
    {"mish", {}, false, 0x1p+1, 0x1.f1a74cp+0},  // offset -0.320381
    {"mish", {}, false, 0x1.4p+4, 0x1.4p+4},  // offset -8.90944e-11
    {"mish", {}, false, 0x1.3f3334p+5, 0x1.3f3334p+5},  // offset -4.61139e-28
    {"gelu", {}, true, -0x1.3p+5, -0x1.088e9aaep-1043},  // offset 0.0279882
    {"gelu", {}, true, -0x1.ep+4, -0x1.601c52358b95dp-651},  // offset -0.413802
    {"gelu", {}, true, -0x1.4p+3, -0x1.7079362639d51p-74},  // offset 0.226447
    {"gelu", {}, true, -0x1.6cccccccccccdp+2, -0x1.254de80451857p-25},  // offset 0.114133
    {"gelu", {}, true, -0x1p+2, -0x1.09ad7954afff8p-13},  // offset 0.453523
    {"gelu", {}, true, -0x1p+0, -0x1.44ed0bb7cb20bp-3},  // offset -0.178229
    {"gelu", {}, true, -0x1p-20, -0x1.ffffe677bacc3p-22},  // offset 0.262222
    {"gelu", {}, true, 0x1p-20, 0x1.00000cc42299fp-21},  // offset -0.368889
    {"gelu", {}, true, 0x1p+0, 0x1.aec4bd120d37dp-1},  // offset 0.205443
    {"gelu", {}, true, 0x1.feb851eb851ecp+1, 0x1.feb4002a5596bp+1},  // offset 0.0725199
    {"gelu", {}, true, 0x1.00a3d70a3d70ap+2, 0x1.00a1d86bbd958p+2},  // offset 0.122842
    {"gelu", {}, true, 0x1.8p+2, 0x1.7ffffff9a4da6p+2},  // offset 0.37416
    {"gelu", {}, true, 0x1.4p+3, 0x1.4p+3},  // offset -4.2896e-08
    {"gelu", {}, false, -0x1.3p+5, -0x0p+0},  // offset -7.82462e-270
    {"gelu", {}, false, -0x1.ep+4, -0x0p+0},  // offset -1.05046e-151
    {"gelu", {}, false, -0x1.4p+3, -0x1.707936p-74},  // offset -0.07466
    {"gelu", {}, false, -0x1.6cccccp+2, -0x1.254dfcp-25},  // offset -0.440114
    {"gelu", {}, false, -0x1p+2, -0x1.09ad7ap-13},  // offset 0.334595
    {"gelu", {}, false, -0x1p+0, -0x1.44ed0cp-3},  // offset 0.141028
    {"gelu", {}, false, -0x1p-20, -0x1.ffffe6p-22},  // offset -0.233847
    {"gelu", {}, false, 0x1p-20, 0x1.00000cp-21},  // offset 0.383076
    {"gelu", {}, false, 0x1p+0, 0x1.aec4bep-1},  // offset -0.464743
    {"gelu", {}, false, 0x1.feb852p+1, 0x1.feb4p+1},  // offset 0.122705
    {"gelu", {}, false, 0x1.00a3d8p+2, 0x1.00a1dap+2},  // offset -0.309336
    {"gelu", {}, false, 0x1.8p+2, 0x1.8p+2},  // offset -0.0124141
    {"gelu", {}, false, 0x1.4p+3, 0x1.4p+3},  // offset -7.99e-17
    {"gelu_tanh", {}, true, -0x1.6p+4, -0x0p+0},  // offset -2.69769e-21
    {"gelu_tanh", {}, true, -0x1.ep+3, -0x1.eb41c83768019p-379},  // offset 0.00689608
    {"gelu_tanh", {}, true, -0x1.4p+2, -0x1.ec28d40db8458p-23},  // offset -0.252071
    {"gelu_tanh", {}, true, -0x1p+0, -0x1.453d22357147ap-3},  // offset -0.0918289
    {"gelu_tanh", {}, true, 0x1p-20, 0x1.00000cc42299fp-21},  // offset -0.368892
    {"gelu_tanh", {}, true, 0x1p+0, 0x1.aeb0b772a3ae1p-1},  // offset 0.477043
    {"gelu_tanh", {}, true, 0x1.4p+2, 0x1.3fffff09eb96p+2},  // offset -0.428744
    {"gelu_tanh", {}, true, 0x1.4p+3, 0x1.4p+3},  // offset -6.61744e-23
    {"gelu_tanh", {}, false, -0x1.6p+4, -0x0p+0},  // offset -9.51145e-300
    {"gelu_tanh", {}, false, -0x1.ep+3, -0x0p+0},  // offset -1.11217e-69
    {"gelu_tanh", {}, false, -0x1.4p+2, -0x1.ec28d4p-23},  // offset -0.0267965
    {"gelu_tanh", {}, false, -0x1p+0, -0x1.453d22p-3},  // offset -0.10438
    {"gelu_tanh", {}, false, 0x1p-20, 0x1.00000cp-21},  // offset 0.383076
    {"gelu_tanh", {}, false, 0x1p+0, 0x1.aeb0b8p-1},  // offset -0.276095
    {"gelu_tanh", {}, false, 0x1.4p+2, 0x1.4p+2},  // offset -0.480624
    {"gelu_tanh", {}, false, 0x1.4p+3, 0x1.4p+3},  // offset -1.2326e-31
    {"selu", {}, true, -0x1.9p+5, -0x1.c212cc640f031p+0},  // offset -0.0637403
    {"selu", {}, true, -0x1.44p+5, -0x1.c212cc640f031p+0},  // offset -0.0433396
    {"selu", {}, true, -0x1.38p+5, -0x1.c212cc640f031p+0},  // offset 0.0276945
    {"selu", {}, true, -0x1p+0, -0x1.1c802bd5f1cb4p+0},  // offset -0.0429871
    {"selu", {}, true, -0x1.79ca10c924223p-67, -0x1.4c1877abb70f7p-66},  // offset 0.262158
    {"selu", {}, true, 0x1.79ca10c924223p-67, 0x1.8cf1906e68683p-67},  // offset 0.472902
    {"selu", {}, true, 0x1p+0, 0x1.0cfabd6a91132p+0},  // offset 0.17958
    {"selu", {}, true, 0x1.7e43c8800759cp+996, 0x1.91a55eef0071ap+996},  // offset 0.297127
    {"selu", {}, false, -0x1.9p+5, -0x1.c212ccp+0},  // offset -0.195427
    {"selu", {}, false, -0x1.44p+5, -0x1.c212ccp+0},  // offset -0.195427
    {"selu", {}, false, -0x1.38p+5, -0x1.c212ccp+0},  // offset -0.195427
    {"selu", {}, false, -0x1p+0, -0x1.1c802cp+0},  // offset 0.0821396
    {"selu", {}, false, -0x1.79ca1p-67, -0x1.4c1876p-66},  // offset -0.490043
    {"selu", {}, false, 0x1.79ca1p-67, 0x1.8cf19p-67},  // offset -0.197132
    {"selu", {}, false, 0x1p+0, 0x1.0cfabep+0},  // offset -0.291862
    {"selu", {}, false, INFINITY, INFINITY},  // offset nan
    {"logsigmoid", {}, true, -0x1.7e43c8800759cp+996, -0x1.7e43c8800759cp+996},  // offset -1.32349e-23
    {"logsigmoid", {}, true, -0x1.48p+5, -0x1.48p+5},  // offset -0.000219956
    {"logsigmoid", {}, true, -0x1.38p+5, -0x1.38p+5},  // offset -0.00162527
    {"logsigmoid", {}, true, -0x1p+0, -0x1.5031eafefb049p+0},  // offset -0.113305
    {"logsigmoid", {}, true, 0x0p+0, -0x1.62e42fefa39efp-1},  // offset -0.208881
    {"logsigmoid", {}, true, 0x1p+0, -0x1.40c7abfbec124p-2},  // offset -0.453219
    {"logsigmoid", {}, true, 0x1.38p+5, -0x1.aa0de4bf35b38p-57},  // offset 0.129645
    {"logsigmoid", {}, true, 0x1.48p+5, -0x1.cd480a1b7482p-60},  // offset 0.141323
    {"logsigmoid", {}, true, 0x1.5ep+9, -0x1.14f2b0fb9307fp-1010},  // offset -0.0419417
    {"logsigmoid", {}, true, 0x1.748p+9, -0x1p-1074},  // offset 0.42875
    {"logsigmoid", {}, false, -INFINITY, -INFINITY},  // offset nan
    {"logsigmoid", {}, false, -0x1.48p+5, -0x1.48p+5},  // offset -4.097e-13
    {"logsigmoid", {}, false, -0x1.38p+5, -0x1.38p+5},  // offset -3.0273e-12
    {"logsigmoid", {}, false, -0x1p+0, -0x1.5031eap+0},  // offset -0.498009
    {"logsigmoid", {}, false, 0x0p+0, -0x1.62e43p-1},  // offset 0.0319548
    {"logsigmoid", {}, false, 0x1p+0, -0x1.40c7acp-2},  // offset 0.00796454
    {"logsigmoid", {}, false, 0x1.38p+5, -0x1.aa0de4p-57},  // offset -0.373457
    {"logsigmoid", {}, false, 0x1.48p+5, -0x1.cd480ap-60},  // offset -0.0536233
    {"logsigmoid", {}, false, 0x1.5ep+9, -0x0p+0},  // offset -7.0361e-260
    {"logsigmoid", {}, false, 0x1.748p+9, -0x0p+0},  // offset -2.0141e-279
    {"hardsigmoid", {}, true, -0x1.7fffff29406b3p+1, 0x1.1e54c66aaaaabp-26},  // offset -0.333333
    {"hardsigmoid", {}, true, -0x1p+0, 0x1.5555555555555p-2},  // offset 0.333333
    {"hardsigmoid", {}, true, 0x1.999999999999ap-4, 0x1.0888888888889p-1},  // offset -0.458333
    {"hardsigmoid", {}, true, 0x1.4p+1, 0x1.d555555555555p-1},  // offset 0.333333
    {"hardsigmoid", {}, false, -0x1.8p+1, 0x0p+0},  // offset 0
    {"hardsigmoid", {}, false, -0x1p+0, 0x1.555556p-2},  // offset -0.333333
    {"hardsigmoid", {}, false, 0x1.99999ap-4, 0x1.088888p-1},  // offset 0.270833
    {"hardsigmoid", {}, false, 0x1.4p+1, 0x1.d55556p-1},  // offset -0.333333
    {"hardswish", {}, true, -0x1.7fffff29406b3p+1, -0x1.ad7f28afceda7p-25},  // offset -0.0713283
    {"hardswish", {}, true, -0x1p+0, -0x1.5555555555555p-2},  // offset -0.333333
    {"hardswish", {}, true, 0x1.999999999999ap-4, 0x1.a740da740da74p-5},  // offset 0.48
    {"hardswish", {}, true, 0x1.4p+1, 0x1.2555555555555p+1},  // offset 0.333333
    {"hardswish", {}, false, -0x1.8p+1, 0x0p+0},  // offset 0
    {"hardswish", {}, false, -0x1p+0, -0x1.555556p-2},  // offset 0.333333
    {"hardswish", {}, false, 0x1.99999ap-4, 0x1.a740dap-5},  // offset 0.44
    {"hardswish", {}, false, 0x1.4p+1, 0x1.255556p+1},  // offset -0.333333
    {"rrelu", {}, true, -0x1.8p+1, -0x1.6p-1},  // offset 0.25
    {"rrelu", {}, true, -0x1.56e1fc2f8f359p-997, -0x1.3a4f272b989bcp-999},  // offset -0.026769
    {"rrelu", {}, true, -0x1.ecccccccccccdp+2, -0x1.c3bbbbbbbbbbcp+0},  // offset 0.404167
    {"rrelu", {}, false, -0x1.8p+1, -0x1.6p-1},  // offset -0.25
    {"rrelu", {}, false, 0x0p+0, 0x0p+0},  // offset 0
    {"rrelu", {}, false, -0x1.ecccccp+2, -0x1.c3bbbcp+0},  // offset 0.179167
    {"srelu", {-1, 0.1, 2, 0.5}, true, 0x1.4p+1, 0x1.2p+1},  // offset 0
    {"srelu", {-1, 0.1, 2, 0.5}, true, -0x1.8p+1, -0x1.3333333333333p+0},  // offset -0.25
    {"srelu", {-1, 0.1, 2, 0.5}, true, 0x1.2a05f2p+33, 0x1.2a05f201p+32},  // offset 0
    {"srelu", {-1, 0.1, 2, 0.5}, true, -0x1.2a05f2p+33, -0x1.dcd6500733334p+29},  // offset 0.334339
    {"srelu", {-1, 0.1, 2, 0.5}, true, 0x1p-1, 0x1p-1},  // offset 0
    {"srelu", {-1, 0.1, 2, 0.5}, false, 0x1.4p+1, 0x1.2p+1},  // offset 0
    {"srelu", {-1, 0.1, 2, 0.5}, false, -0x1.8p+1, -0x1.333334p+0},  // offset 0.375
    {"srelu", {-1, 0.1, 2, 0.5}, false, 0x1.2a05f2p+33, 0x1.2a05f2p+32},  // offset 0.00195312
    {"srelu", {-1, 0.1, 2, 0.5}, false, -0x1.2a05f2p+33, -0x1.dcd65p+29},  // offset -0.246893
    {"srelu", {-1, 0.1, 2, 0.5}, false, 0x1p-1, 0x1p-1},  // offset 0
    {"srelu", {-1, 0.3, 2, -0.7}, true, 0x1.36db6db6db6dbp+2, 0x1.c57c57c57c57cp-52},  // offset 0
    {"srelu", {-1, 0.3, 2, -0.7}, true, 0x1.36db6db6db6dbp+2, 0x1.c57c57c57c57cp-52},  // offset 0
    {"srelu", {-1, 0.3, 2, -0.7}, true, -0x1.4f8b588e368f1p-17, -0x1.4f8b588e368f1p-17},  // offset 0
    {"srelu", {-1, 0.3, 2, -0.7}, true, 0x1.4p+3, -0x1.cccccccccccccp+1},  // offset 0
    {"srelu", {-1, 0.3, 2, -0.7}, false, 0x1.36db6ep+2, -0x1.d41d4p-27},  // offset 0
    {"srelu", {-1, 0.3, 2, -0.7}, false, 0x1.36db6ep+2, -0x1.d41d4p-27},  // offset 0
    {"srelu", {-1, 0.3, 2, -0.7}, false, -0x1.4f8b58p-17, -0x1.4f8b58p-17},  // offset 0
    {"srelu", {-1, 0.3, 2, -0.7}, false, 0x1.4p+3, -0x1.ccccccp+1},  // offset 0
};
// clang-format on

template <class T>
T evaluate(const Golden& g) {
  const std::vector<T> x{static_cast<T>(g.x)};
  std::vector<T> out(1);
  const std::span<const T> in(x);
  const std::span<T> o(out);
  const std::string f = g.function;
  auto p = [&](std::size_t i) { return static_cast<T>(g.params.at(i)); };
  if (f == "silu") ni::silu(in, o);
  else if (f == "swish") ni::swish(in, o, p(0));
  else if (f == "mish") ni::mish(in, o);
  else if (f == "gelu") ni::gelu(in, o);
  else if (f == "gelu_tanh") ni::gelu_tanh(in, o);
  else if (f == "selu") ni::selu(in, o);
  else if (f == "logsigmoid") ni::logsigmoid(in, o);
  else if (f == "hardsigmoid") ni::hardsigmoid(in, o);
  else if (f == "hardswish") ni::hardswish(in, o);
  else if (f == "rrelu") ni::rrelu(in, o);
  else if (f == "srelu") ni::srelu(in, o, p(0), p(1), p(2), p(3));
  else ADD_FAILURE() << "unknown function " << f;
  return out[0];
}

std::string hex(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}

TEST(ActivationsGolden, MatchTheCorrectlyRoundedReference) {
  int checked = 0;
  for (const Golden& g : kGolden) {
    const double got = g.binary64 ? evaluate<double>(g) : static_cast<double>(evaluate<float>(g));
    const bool same = std::isnan(g.expected)
                          ? std::isnan(got)
                          : got == g.expected && std::signbit(got) == std::signbit(g.expected);
    EXPECT_TRUE(same) << g.function << (g.binary64 ? " binary64" : " binary32") << " at x = "
                      << hex(g.x) << ": got " << hex(got) << ", reference " << hex(g.expected);
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(std::size(kGolden)));
}

}  // namespace
