// libnnconform_builtin_abi.so: the built-in implementation (impl/, through the conformance
// registry) behind the C ABI of nnconform_abi.h. Checking it with --impl lib:... must give the
// same verdict as --impl builtin (conformance/tests/check_abi_test.cpp proves it): the ABI path
// changes how values travel, never what is computed.
//
// The registry takes a FunctionSpec (for parameter metadata such as which reals are exact), so
// the library loads the specs on first use from $NNCONFORM_SPEC_DIR, or the source tree's spec/.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "nnconform/conformance/implementation.hpp"
#include "nnconform/ref/spec.hpp"
#include "nnconform_abi.h"

namespace {

namespace ref = nnconform::ref;
namespace conf = nnconform::conformance;

struct State {
  ref::SpecSet specs;
  std::unique_ptr<conf::Implementation> impl;
  std::vector<std::string> names;
  std::vector<nnconform_function_info> table;
};

State& state() {
  static State* s = [] {
    const char* dir = std::getenv("NNCONFORM_SPEC_DIR");
    auto* st = new State{ref::SpecSet::load(dir && *dir ? dir : NNCONFORM_BUILTIN_ABI_SPEC_DIR), conf::make_builtin(), {}, {}};
    st->names = conf::builtin_functions();
    for (const auto& n : st->names) st->table.push_back({n.c_str(), 0xfu});  // all four formats
    st->table.push_back({nullptr, 0});
    return st;
  }();
  return *s;
}

ref::Format to_format(int f) {
  switch (f) {
    case NNCONFORM_BINARY32: return ref::Format::binary32;
    case NNCONFORM_BINARY16: return ref::Format::binary16;
    case NNCONFORM_BFLOAT16: return ref::Format::bfloat16;
    default: return ref::Format::binary64;
  }
}

std::size_t storage(ref::Format f) { return static_cast<std::size_t>(ref::info(f).storage_bits / 8); }

void set_message(nnconform_result* r, const std::string& text) {
  if (!r->message || r->message_capacity == 0) return;
  std::snprintf(r->message, r->message_capacity, "%s", text.c_str());
}

}  // namespace

extern "C" {

int nnconform_abi_version(void) { return NNCONFORM_ABI_VERSION; }

const char* nnconform_implementation_name(void) { return "nnconform built-in (impl/) through the C ABI"; }

const nnconform_function_info* nnconform_functions(void) {
  try {
    return state().table.data();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "nnconform_builtin_abi: %s\n", e.what());
    return nullptr;
  }
}

int nnconform_compute(const nnconform_call* call, nnconform_result* result) {
  try {
    State& st = state();
    const ref::FunctionSpec* fn = st.specs.find(call->function);
    if (!fn) {
      set_message(result, std::string("no function '") + call->function + "'");
      return NNCONFORM_UNSUPPORTED;
    }
    ref::Format format = to_format(call->format);
    std::size_t size = storage(format);
    ref::Arguments args;
    for (std::size_t i = 0; i < call->input_count; ++i) {
      const nnconform_tensor& t = call->inputs[i];
      ref::Tensor tensor;
      tensor.shape.assign(t.shape, t.shape + t.rank);
      const auto* bytes = static_cast<const unsigned char*>(t.data);
      for (std::size_t k = 0; k < t.count; ++k) {
        if (t.kind == NNCONFORM_INDEX) {
          std::int64_t v;
          std::memcpy(&v, bytes + 8 * k, 8);
          tensor.indices.push_back(static_cast<long>(v));
        } else {
          std::uint64_t bits = 0;
          std::memcpy(&bits, bytes + size * k, size);  // little-endian host
          tensor.values.push_back({format, bits});
        }
      }
      args.inputs[t.name] = std::move(tensor);
    }
    for (std::size_t i = 0; i < call->param_count; ++i) args.params[call->params[i].name] = call->params[i].value;

    std::vector<ref::FloatBits> out = st.impl->compute(*fn, format, args);
    result->count = out.size();
    if (out.size() > result->capacity) {
      set_message(result, "more outputs than the buffer holds");
      return NNCONFORM_ERROR;
    }
    auto* dst = static_cast<unsigned char*>(result->data);
    for (std::size_t k = 0; k < out.size(); ++k) std::memcpy(dst + size * k, &out[k].bits, size);
    return NNCONFORM_OK;
  } catch (const conf::Unsupported& e) {
    set_message(result, e.what());
    return NNCONFORM_UNSUPPORTED;
  } catch (const std::exception& e) {
    set_message(result, e.what());
    return NNCONFORM_ERROR;
  }
}

}  // extern "C"
