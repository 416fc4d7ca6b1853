"""The notes' own functional API, column-major.   notes §1.3 (deep networks), §2.2-2.4

The assignments' functions with their names, arguments and return values, in the notes'
layout: X (n_x, m), Y (n_y, m), W[l] (n[l], n[l-1]), b[l] (n[l], 1), parameters
{"W1": ..., "b1": ...}. They are thin wrappers: the math is the library's ``Function``
classes and optimizer kernels, called on (transposed) arrays.

    from deepspec import classic
    parameters = classic.initialize_parameters_deep([2, 4, 1], init="he", seed=0)
    AL, caches = classic.L_model_forward(X, parameters)
    cost = classic.compute_cost(AL, Y)
    grads = classic.L_model_backward(AL, Y, caches)
    parameters = classic.update_parameters(parameters, grads, learning_rate=0.1)
"""

from .activations import relu, relu_backward, sigmoid, sigmoid_backward, tanh, tanh_backward
from .backward import L_model_backward, linear_activation_backward, linear_backward
from .checking import (
    dictionary_to_vector,
    gradient_check_n,
    gradients_to_vector,
    vector_to_dictionary,
)
from .forward import (
    L_model_forward,
    compute_cost,
    initialize_parameters,
    initialize_parameters_deep,
    linear_activation_forward,
    linear_forward,
    predict,
)
from .training import model, random_mini_batches
from .update import (
    initialize_adam,
    initialize_velocity,
    update_parameters,
    update_parameters_with_adam,
    update_parameters_with_momentum,
)

__all__ = [
    "L_model_backward", "L_model_forward", "compute_cost", "dictionary_to_vector",
    "gradient_check_n", "gradients_to_vector", "initialize_adam", "initialize_parameters",
    "initialize_parameters_deep", "initialize_velocity", "linear_activation_backward",
    "linear_activation_forward", "linear_backward", "linear_forward", "model", "predict",
    "random_mini_batches", "relu", "relu_backward", "sigmoid", "sigmoid_backward", "tanh",
    "tanh_backward", "update_parameters", "update_parameters_with_adam",
    "update_parameters_with_momentum", "vector_to_dictionary",
]

# Course 5, week 1: the RNN and LSTM step by step, x (n_x, m, T_x); the dinosaur model's helpers.
from .recurrent import (  # noqa: E402 - appended section
    lstm_backward,
    lstm_cell_backward,
    lstm_cell_forward,
    lstm_forward,
    rnn_backward,
    rnn_cell_backward,
    rnn_cell_forward,
    rnn_forward,
)
from .sampling import clip, sample  # noqa: E402

__all__ += [
    "clip", "lstm_backward", "lstm_cell_backward", "lstm_cell_forward", "lstm_forward",
    "rnn_backward", "rnn_cell_backward", "rnn_cell_forward", "rnn_forward", "sample",
]

# Course 4, week 1: the convolution model step by step, channels last, A_prev (m, n_H, n_W, n_C).
from .cnn import (  # noqa: E402 - appended section
    conv_backward,
    conv_forward,
    conv_single_step,
    create_mask_from_window,
    distribute_value,
    pool_backward,
    pool_forward,
    zero_pad,
)

__all__ += [
    "conv_backward", "conv_forward", "conv_single_step", "create_mask_from_window",
    "distribute_value", "pool_backward", "pool_forward", "zero_pad",
]
