// One knob for the number of threads: our OpenMP loops and OpenBLAS (OpenMP build) share it.
#pragma once

namespace nst {

void set_num_threads(int threads);  // threads >= 1
int num_threads();

}  // namespace nst
