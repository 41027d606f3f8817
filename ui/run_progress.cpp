#include "ui/run_progress.h"

#include <algorithm>
#include <limits>

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>

#include "ui/formatting.h"
#include "ui/run_trace.h"

namespace wb::ui {

RunProgress::RunProgress(QWidget* parent) : QWidget(parent) {
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_title = new QLabel(this);
    QFont big = m_title->font();
    big.setBold(true);
    big.setPointSizeF(big.pointSizeF() * 1.15);
    m_title->setFont(big);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status = new QLabel(this);
    m_bar = new QProgressBar(this);
    m_bar->setMinimumWidth(160);
    m_bar->setFormat(tr("%v / %m steps"));
    m_eta = new QLabel(this);
    m_eta->setObjectName(QStringLiteral("eta"));
    m_eta->setMinimumWidth(m_eta->fontMetrics().horizontalAdvance(QStringLiteral("M")) * 18);
    layout->addWidget(m_title);
    layout->addWidget(m_status);
    layout->addStretch(1);
    layout->addWidget(m_bar, 2);
    layout->addWidget(m_eta);
    showTrace(nullptr);
}

QString RunProgress::etaText() const {
    return m_eta->text();
}

QString RunProgress::titleText() const {
    return m_title->text();
}

void RunProgress::showTrace(const RunTrace* t) {
    const bool any = t != nullptr;
    m_bar->setVisible(any);
    m_status->setVisible(any);
    m_eta->setVisible(any);
    if (!any) {
        m_title->setText(tr("No run selected: start one, or pick one in the history below."));
        return;
    }
    m_title->setText(tr("#%1 %2").arg(t->id).arg(t->name.toHtmlEscaped()));
    m_status->setText(QStringLiteral("<span style=\"color:%1\">● %2</span>")
                          .arg(statusColor(t->status).name(), statusText(t->status)));
    m_status->setToolTip(t->statusMessage);
    // QProgressBar counts in int; every step range the schema allows fits.
    constexpr int64_t kMax = std::numeric_limits<int>::max();
    m_bar->setMaximum(static_cast<int>(std::clamp<int64_t>(t->totalSteps, 1, kMax)));
    m_bar->setValue(static_cast<int>(std::clamp<int64_t>(t->step, 0, kMax)));

    QString eta;
    const double rate = t->wall_s > 0 ? static_cast<double>(t->step) / t->wall_s : 0;
    if (api::is_final(t->status)) {
        eta = tr("took %1").arg(formatDuration(t->wall_s));
    } else if (t->status == api::RunStatus::Paused) {
        eta = tr("paused at step %L1").arg(t->step);
    } else if (rate > 0 && t->totalSteps > t->step) {
        eta = tr("ETA %1 · %2 steps/s")
                  .arg(formatDuration(static_cast<double>(t->totalSteps - t->step) / rate),
                       formatValue(rate));
    } else if (rate > 0) {
        eta = tr("finishing…");
    } else {
        eta = tr("starting…");
    }
    m_eta->setText(eta);
}

}  // namespace wb::ui
