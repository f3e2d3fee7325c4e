#include "tensor/cpu_features.h"

#include <cstdint>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define NST_X86 1
#endif

namespace nst {
namespace {

#ifdef NST_X86
// XCR0: which register states the OS saves on a context switch. A CPU feature is only usable
// when the OS saves the registers it needs.
uint64_t read_xcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

// The brand string of CPUID leaves 0x80000002..4, 48 characters padded with spaces or NULs;
// virtual machines sometimes shorten it ("AMD EPYC").
std::string read_model() {
  unsigned regs[12] = {};
  // (unsigned: GCC declares it so, clang as int)
  if (static_cast<unsigned>(__get_cpuid_max(0x80000000, nullptr)) < 0x80000004) return {};
  for (unsigned leaf = 0; leaf < 3; ++leaf) {
    __get_cpuid(0x80000002 + leaf, &regs[4 * leaf], &regs[4 * leaf + 1], &regs[4 * leaf + 2],
                &regs[4 * leaf + 3]);
  }
  std::string model(reinterpret_cast<const char*>(regs), sizeof regs);
  model.resize(model.find('\0') == std::string::npos ? model.size() : model.find('\0'));
  const std::size_t first = model.find_first_not_of(' '), last = model.find_last_not_of(' ');
  return first == std::string::npos ? std::string() : model.substr(first, last - first + 1);
}

CpuFeatures detect() {
  CpuFeatures f;
  f.model = read_model();
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  const bool fma = ecx & (1u << 12);
  const bool osxsave = ecx & (1u << 27);
  if (!osxsave) return f;
  const uint64_t xcr0 = read_xcr0();
  const bool ymm_enabled = (xcr0 & 0x6) == 0x6;          // SSE and AVX state
  const bool zmm_enabled = (xcr0 & 0xe6) == 0xe6;        // plus opmask and ZMM state
  const bool amx_enabled = (xcr0 & 0x60000) == 0x60000;  // XTILECFG and XTILEDATA

  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return f;
  const unsigned max_subleaf = eax;
  f.avx2_fma = ymm_enabled && fma && (ebx & (1u << 5));
  f.avx512f = zmm_enabled && (ebx & (1u << 16));
  f.amx_bf16 = amx_enabled && (edx & (1u << 24)) && (edx & (1u << 22));  // AMX-TILE, AMX-BF16
  if (max_subleaf >= 1 && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) {
    f.avx512_bf16 = f.avx512f && (eax & (1u << 5));
  }
  return f;
}
#else
CpuFeatures detect() { return {}; }
#endif

}  // namespace

std::string CpuFeatures::summary() const {
  std::string s;
  auto add = [&s](bool present, const char* name) {
    if (!present) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(avx2_fma, "avx2+fma");
  add(avx512f, "avx512f");
  add(avx512_bf16, "avx512_bf16");
  add(amx_bf16, "amx_bf16");
  return s.empty() ? "baseline x86-64" : s;
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = [] {
    CpuFeatures f = detect();
    if (f.model.empty()) f.model = "unknown CPU";
    return f;
  }();
  return features;
}

}  // namespace nst
