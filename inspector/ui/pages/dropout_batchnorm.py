"""Dropout & BatchNorm: what changes between train and eval mode, on the learner's own networks."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import streamlit as st

from inspector.errors import UserError
from inspector.inside.lens import BatchNormLens
from inspector.inside.pictures import heatmap
from inspector.ui import notebook_code as nb
from inspector.ui.caches.inside import inside_batchnorm, inside_dropout, norm_equivalence
from inspector.ui.common import intro, notebook_code, notice
from inspector.ui.derived import derived
from inspector.ui.fold import tabs
from inspector.ui.i18n import _, current_language, reason
from inspector.ui.inside_inputs import pick_inputs, run_on_request
from inspector.ui.model_source import BATCH_STATS, explain_untrained
from inspector.ui.pictures import encoded, photo, show

BN_BATCH = 2  # sample photos whose batch statistics BatchNorm uses in train mode: a batch, and cheap


def _dropout_cell() -> str:
    """The notebook's decoder_6 block, with its Dropout and the notebook's comments on it, verbatim."""
    start = nb.GENERATOR.index("        self.decoder_6")
    end = nb.GENERATOR.index("        self.decoder_5")
    return nb.GENERATOR[start:end].rstrip()


intro(
    _("Dropout & BatchNorm"),
    _(
        "Two layers of the notebook behave differently in training and in evaluation. **Dropout** zeroes a "
        "random half of the values in training and does nothing in `model.eval()`. **BatchNorm** normalizes "
        "with the statistics of the current batch in training and with its running averages in eval. Here "
        "both run on your networks, in both modes."
    ),
)

inputs = pick_inputs("db", lambda: st.slider(_("Runs with Dropout on"), 2, 8, 4, key="db.runs"))
nets, runs, photo_key, rgb = inputs.networks, inputs.controls, inputs.photo_key, inputs.rgb
batch_stats = explain_untrained("db", nets) == BATCH_STATS  # the untrained networks' one-click switch


def _dropout_view(runs: int) -> None:
    """The runs with Dropout on, the eval output and the per-pixel spread."""
    lens = inside_dropout(nets.key, nets.generator, photo_key, rgb, runs, batch_stats)
    if not lens.dropout_layers:
        st.info(
            _('This generator has no Dropout layer (its settings say "no dropout"): every run is the same.')
        )
    cols = st.columns(min(runs, 4))
    for k, sample in enumerate(lens.samples):
        show(cols[k % len(cols)], photo(sample), caption=_("run {k}", k=k + 1), width="stretch")
    a, b = st.columns(2)
    still = (
        _("Dropout off, BatchNorm on the photo's own statistics")
        if batch_stats
        else _("eval(): Dropout off, the same every time")
    )
    show(a, photo(lens.eval_rgb), caption=still, width="stretch")
    show(
        b,
        encoded(lens.spread, heatmap),
        caption=_(
            "Spread over the runs: per-pixel std of ab (mean {mean:.2f} Lab units)", mean=lens.mean_spread
        ),
        width="stretch",
    )
    st.caption(_("Dropout layers that were on: {layers}", layers=", ".join(lens.dropout_layers) or "-"))


def _bn_table(bn: BatchNormLens) -> pa.Table:
    """Each BatchNorm layer's batch and running statistics (averaged over channels), made once per lens."""
    return pa.table(
        {
            _("layer"): [n.name for n in bn.layers],
            _("channels"): [len(n.batch_mean) for n in bn.layers],
            _("batch mean (avg)"): [float(n.batch_mean.mean()) for n in bn.layers],
            _("running mean (avg)"): [float(n.running_mean.mean()) for n in bn.layers],
            _("batch var (avg)"): [float(n.batch_var.mean()) for n in bn.layers],
            _("running var (avg)"): [float(n.running_var.mean()) for n in bn.layers],
        }
    )


# Two layers, two tabs: only the open one runs and is sent (``ui.fold``).
dropout_tab, batchnorm_tab = tabs([_("Dropout"), _("BatchNorm")], "db.tab", keep=("db.affine",))
if dropout_tab.open:
    with dropout_tab:
        st.subheader(_("The same photo, several times, with Dropout on"))
        code_col, view_col = st.columns([2, 3])
        with code_col:
            st.markdown(_("The notebook's Dropout cell (decoder_6):"))
            st.code(_dropout_cell(), language="python", wrap_lines=True)  # the notes' Korean comments wrap
        with view_col:
            if run_on_request(
                "db",
                nets,
                (nets.key, photo_key, runs, batch_stats),
                _("Colorize it {n} times with Dropout on", n=runs),
                _(
                    "{n} forward passes of this generator: a few seconds each for the notebook's model.",
                    n=runs + 1,
                ),
            ):
                _dropout_view(runs)

        st.markdown(
            _(
                "**Why pix2pix keeps Dropout at test time.** Earlier conditional GANs gave the generator a random "
                "noise vector z beside its input, so that one input could have many outputs. The pix2pix authors "
                "found that their generator simply learned to ignore z. So the only noise it gets is Dropout, in "
                "several decoder layers, at training *and* at test time: switching it off when colorizing would "
                "remove the model's only source of randomness. Even so, the paper notes that the outputs vary only "
                "a little; the spread above shows where they do."
            )
        )

if batchnorm_tab.open:
    with batchnorm_tab:
        st.subheader(_("BatchNorm: the batch's statistics against the running ones"))
        if nets.discriminator is None:
            st.info(_("This checkpoint holds no discriminator; the BatchNorm view uses it."))
        else:
            bn: BatchNormLens | None = None
            try:
                bn = inside_batchnorm(nets.key, nets.discriminator, nets.size, BN_BATCH)
            except UserError as exc:
                st.error(_("The discriminator cannot run: {reason}", reason=reason(exc)))
            if bn is None:
                pass
            elif not bn.layers:
                st.info(
                    _(
                        'This discriminator has no BatchNorm layer (its settings say "no norm" or "instance norm").'
                    )
                )
            else:
                st.dataframe(derived(bn, _bn_table, key=current_language()), hide_index=True, width="stretch")
                t, e = st.columns(2)
                top = float(max(np.abs(bn.batch_stats_output).max(), np.abs(bn.running_stats_output).max()))
                show(
                    t,
                    encoded(bn.batch_stats_output, lambda a: heatmap(np.abs(a[0]), top), key=("logits", top)),
                    caption=_("D's logits, batch statistics (train)"),
                    width="stretch",
                )
                show(
                    e,
                    encoded(
                        bn.running_stats_output, lambda a: heatmap(np.abs(a[0]), top), key=("logits", top)
                    ),
                    caption=_("D's logits, running statistics (eval)"),
                    width="stretch",
                )
                st.caption(
                    _(
                        "The discriminator on {batch} real pairs (L, ab). Largest difference between the two "
                        "outputs: {diff:.3g}. Untrained, the running statistics are still mean 0 and variance 1, "
                        "far from the batch's.",
                        batch=bn.batch_size,
                        diff=bn.max_difference,
                    )
                )

        st.subheader(_("BatchNorm at batch size 1 is InstanceNorm"))
        affine = st.checkbox(_("with a learned scale and shift (affine)"), value=True, key="db.affine")
        eq = norm_equivalence(affine)
        m1, m2 = st.columns(2)
        m1.metric(_("max |BatchNorm2d - InstanceNorm2d|, batch 1"), f"{eq.max_abs_difference:.2e}")
        m2.metric(_("the same image in a batch of 2"), f"{eq.batch2_difference:.3f}")
        st.markdown(
            _(
                "In training, BatchNorm2d normalizes each channel over (batch, height, width). With one image the batch "
                "is gone, and what is left is InstanceNorm2d: each channel of each image over its own height and width. "
                "PyTorch agrees to rounding (left). Add a second image and BatchNorm mixes the two (right). This is why "
                "pix2pix trained at batch size 1 behaves like a network with InstanceNorm."
            )
        )

notice(
    [
        _(
            "Dropout on: every run differs a little, most where the colour is uncertain; eval: the same every time."
        ),
        _(
            "In eval mode BatchNorm uses the running averages collected in training; an untrained model has none yet."
        ),
        _("Call model.eval() before judging a model, and model.train() before training it again."),
    ]
)
notebook_code(nb.GENERATOR, "Pix2Pix_Generator")
