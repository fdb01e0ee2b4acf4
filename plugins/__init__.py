"""genexam's built-in problem families.

Like pytest's built-in plugins, each module here is registered through the
same ``genexam_families`` hook a third-party package implements; this tuple is
the only list of them.
"""

BUILTIN_PLUGINS = (
    "attention_ops",
    "softmax_logistic",
    "gda_table",
    "param_count",
    "transformer_layer",
    "precision_recall",
    "rnn_recurrence",
    "gaussian_kl",
    "seq_model_complexity",
    "attention_query",
    "regularized_objective",
    "question_bank",
    "optimizer_steps",
    "normalization",
    "recurrent_step",
    "beam_search",
    "conv_stack",
    "transformer_budget",
    "init_dropout",
    "sequence_likelihood",
    "backprop_graph",
    "softmax_cross_entropy",
    "attention_mask",
    "mlp_backprop",
)
