// malloc settings for training: keep freed tensor memory for reuse. No LibTorch here, so the
// Qt app's main() can call it before QApplication starts its threads.
#pragma once

namespace wb::engine {

/// Makes glibc's malloc keep freed tensor memory for reuse instead of handing it back to the
/// kernel after every step. By default blocks over 128 KiB to a few MiB (a batch of activations)
/// are mmap'ed and unmapped again, the heap top above that is trimmed, and a second thread's
/// arena heaps are unmapped when they empty, so every step page-faults its activations back in
/// (gan-mixture2d: 32 page faults per step). This sets one arena for the process (every thread
/// allocates from the main heap), blocks up to 32 MiB from the heap and keeps up to 256 MiB of
/// freed memory there (visible in memory/allocated_bytes). Only possible while no second thread
/// has allocated yet: call it first thing in main() (make_torch_engine() calls it too, which is
/// early enough only where no other thread has started). Returns whether it applied (the first
/// call decides; glibc only).
bool keep_freed_memory_for_reuse();

}  // namespace wb::engine
