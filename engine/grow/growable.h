// Growable: what a trainer offers when its model can grow while it trains (the GPT's), used by
// the growth extension (grow_extension.h).
#pragma once

#include <cstdint>

#include "engine/api/grow_schedule.h"
#include "engine/grow/gpt_growth.h"

namespace wb::grow {

class Growable {
public:
    virtual ~Growable() = default;
    /// The model's shape now.
    virtual api::GptShape shape() const = 0;
    /// Its parameters now.
    virtual int64_t parameters() const = 0;
    /// Makes the model `target` (first wider, then deeper; never smaller), preserving what it
    /// computes as the operators in gpt_growth.h do, with its optimizer's state carried over
    /// (optimizer_transplant.h). New weights and noise draw from the run's generator.
    virtual void grow_to(const api::GptShape& target, DeepenMethod method, double noise) = 0;
    /// Mean loss on a fixed batch of held-out data, without dropout or gradient: what the loss
    /// just before and just after a growth is measured on.
    virtual double probe_loss() = 0;
};

}  // namespace wb::grow
