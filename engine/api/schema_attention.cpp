// The field table's attention pattern of the language model (attention_pattern.h).
#include "engine/api/schema_build.h"

namespace wb::api::schema_build {

void add_attention_fields(std::vector<FieldSpec>& s) {
    using T = FieldType;
    s.push_back(choice(
        make(WB_BIND(model.attention, std::string), T::Choice, "Attention", "Attention pattern",
             "GPT only: which earlier characters each position looks at. dense: all of them; "
             "cost and activation memory grow with the context's square. window: only the "
             "last `window` positions (Longformer's sliding window); cost grows linearly. "
             "block: the own block, the last few positions of every earlier block as its "
             "summary and optional global tokens (Sparse Transformer's fixed pattern, "
             "BigBird's globals). The engine computes only the kept pairs, so sparse patterns "
             "pay off once the context is several times the keys each position scores (2 x "
             "window; block + summaries): measured on a 2-core CPU, window 64 and block 32 "
             "trained 1.6x faster than dense at context 256, window 128 only beats dense from "
             "about 1024. Below that dense is faster. What it can cost: context the pattern leaves "
             "out, so a slightly higher loss."),
        {"dense", "window", "block"}));
    s.push_back(ranged(make(WB_BIND(model.window, int64_t), T::Int, "Attention", "Window",
                            "window only: positions each position attends to, its own "
                            "included. Information from further back still arrives, one "
                            "window per layer. At most the context length."),
                       1, 8192));
    s.push_back(ranged(make(WB_BIND(model.block_size, int64_t), T::Int, "Attention", "Block size",
                            "block only: positions per block; each position sees all earlier "
                            "positions of its own block. Must divide the context length."),
                       4, 1024));
    s.push_back(ranged(
        make(WB_BIND(model.summary_tokens, int64_t), T::Int, "Attention", "Summary positions",
             "block only: the last positions of each block that every later "
             "position attends to: the route by which distant context arrives. "
             "More cost more and keep more. Fewer than the block size."),
        0, 1023));
    s.push_back(
        ranged(make(WB_BIND(model.global_tokens, int64_t), T::Int, "Attention", "Global tokens",
                    "block only: the first positions of the sequence, which every "
                    "position attends to (BigBird). 0 turns them off."),
               0, 1024));
}

}  // namespace wb::api::schema_build
