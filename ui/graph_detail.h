// GraphDetail: every point of one plotted series, plus min/max summaries of it, so that a graph
// of millions of points draws only about as many as its axis has pixels, with the same envelope.
#pragma once

#include <vector>

#include "qcustomplot.h"

namespace wb::ui {

class GraphDetail {
public:
    GraphDetail();

    /// Every point, in key order. Summaries follow it on the next show().
    const QSharedPointer<QCPGraphDataContainer>& full() const { return m_full; }
    /// Appends points; keys below the last one are allowed (the summaries are rebuilt then).
    void add(const QVector<double>& keys, const QVector<double>& values);
    void clear();

    /// Gives `graph` the full data when the range [lower, upper] holds fewer than
    /// kSummaryFactor points per pixel of `pixels`, otherwise the coarsest summary that still
    /// has a bucket per pixel: each bucket of 8^level points keeps its minimum and maximum, in
    /// key order, so the drawn envelope is the one the full data draws at that resolution.
    void show(QCPGraph* graph, double lower, double upper, int pixels);

    /// Bucket size (in points) of what show() gave the graph last; 1 means the full data.
    int shownBucket() const { return m_shownBucket; }

    static constexpr int kBase = 8;
    static constexpr int kSummaryFactor = kBase;

private:
    struct Summary {
        int bucket = 0;                    ///< points per bucket
        int complete = 0;                  ///< buckets whose points are all in (not the tail)
        int pointsOfComplete = 0;          ///< entries of `points` from the complete buckets
        std::vector<QCPGraphData> points;  ///< up to 2 per bucket
        QSharedPointer<QCPGraphDataContainer> data;
        int syncedTo = -1;  ///< full-data size `data` reflects
    };
    Summary& summary(int bucket);
    void update(Summary& s);

    QSharedPointer<QCPGraphDataContainer> m_full;
    std::vector<Summary> m_summaries;  ///< index l: bucket kBase^(l+1)
    int m_shownBucket = 1;
};

}  // namespace wb::ui
