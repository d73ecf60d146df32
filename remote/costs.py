"""What a plan costs on Modal, before it runs: the estimate lives in `core.modal_estimate` (the
one Modal price model, which the launch screen, the summaries and the run record use too)."""

from core.modal_estimate import PIPELINE_CPU, PIPELINE_MEMORY_GIB, ModalEstimate
from core.plan import modal_estimate

__all__ = ["PIPELINE_CPU", "PIPELINE_MEMORY_GIB", "ModalEstimate", "modal_estimate"]
