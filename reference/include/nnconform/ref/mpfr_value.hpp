// A minimal owning wrapper around mpfr_t: the reference's unit of storage.
#pragma once

#include <mpfr.h>

#include <utility>

namespace nnconform::ref {

class MpfrValue {
 public:
  explicit MpfrValue(mpfr_prec_t precision = 64) { mpfr_init2(v_, precision); }
  MpfrValue(const MpfrValue& other) {
    mpfr_init2(v_, mpfr_get_prec(other.v_));
    mpfr_set(v_, other.v_, MPFR_RNDN);  // same precision: exact
  }
  MpfrValue(MpfrValue&& other) noexcept {
    mpfr_init2(v_, MPFR_PREC_MIN);
    mpfr_swap(v_, other.v_);
  }
  MpfrValue& operator=(const MpfrValue& other) {
    if (this != &other) {
      mpfr_set_prec(v_, mpfr_get_prec(other.v_));
      mpfr_set(v_, other.v_, MPFR_RNDN);
    }
    return *this;
  }
  MpfrValue& operator=(MpfrValue&& other) noexcept {
    mpfr_swap(v_, other.v_);
    return *this;
  }
  ~MpfrValue() { mpfr_clear(v_); }

  mpfr_ptr get() { return v_; }
  mpfr_srcptr get() const { return v_; }
  operator mpfr_ptr() { return v_; }
  operator mpfr_srcptr() const { return v_; }
  // MPFR implements some predicates as macros that dereference their argument
  // (mpfr_sgn, mpfr_nan_p...); these let them take an MpfrValue directly.
  __mpfr_struct* operator->() { return v_; }
  const __mpfr_struct* operator->() const { return v_; }
  mpfr_prec_t precision() const { return mpfr_get_prec(v_); }

 private:
  mpfr_t v_;
};

}  // namespace nnconform::ref
