// A segment tree over non-negative weights with O(log n) update, total, minimum and
// proportional selection: the bookkeeping behind prioritized (hard-example) sampling.
#pragma once

#include <cstdint>
#include <vector>

namespace wb::engine::data {

class SumTree {
public:
    /// n leaves, all 0 (excluded from min()). Throws std::invalid_argument if n < 1.
    explicit SumTree(int64_t n);

    /// Sets leaf i to w >= 0; w == 0 takes the leaf out of selection and of min().
    void set(int64_t i, double w);
    double get(int64_t i) const { return m_sum[m_leaves + i]; }
    /// Sum of all leaves.
    double total() const { return m_sum[1]; }
    /// Smallest positive leaf; +infinity when every leaf is 0.
    double min() const { return m_min[1]; }
    /// The leaf i whose prefix range [sum(<i), sum(<=i)) holds `mass`; mass is clamped into
    /// [0, total). Never returns a zero leaf while total() > 0. Returns -1 when total() == 0.
    int64_t find(double mass) const;
    int64_t size() const { return m_n; }

private:
    void pull(int64_t node);

    int64_t m_n = 0;
    int64_t m_leaves = 1;  ///< power of two >= n; leaf i is node m_leaves + i
    std::vector<double> m_sum, m_min;
};

}  // namespace wb::engine::data
