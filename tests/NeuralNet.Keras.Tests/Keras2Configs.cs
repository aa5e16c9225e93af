namespace NeuralNet.Keras.Tests;

/// <summary>model_config attributes in the form tf.keras 2.x wrote them into .h5 files (no module keys, string dtypes,
/// batch_input_shape, inbound nodes as lists of [layer, node, tensor, kwargs]), transcribed from such files.</summary>
internal static class Keras2Configs
{
    private const string Glorot = """{"class_name": "GlorotUniform", "config": {"seed": null}}""";
    private const string Zeros = """{"class_name": "Zeros", "config": {}}""";
    private const string Ones = """{"class_name": "Ones", "config": {}}""";

    private static string Dense(string name, int units, string activation, string extra = "") => $$$"""
        {"name": "{{{name}}}", "trainable": true, {{{extra}}}"dtype": "float32", "units": {{{units}}}, "activation": "{{{activation}}}", "use_bias": true,
         "kernel_initializer": {{{Glorot}}}, "bias_initializer": {{{Zeros}}}, "kernel_regularizer": null, "bias_regularizer": null,
         "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}
        """;

    /// <summary>
    /// tf.keras.Sequential([Dense(8, "relu", input_shape=(4,)), BatchNormalization(), Dropout(0.5), Dense(3, "softmax")]):
    /// the first layer carries batch_input_shape, and BatchNormalization's axis is the list Keras 2 kept.
    /// </summary>
    public static readonly string Sequential = $$$"""
        {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
          {"class_name": "Dense", "config": {{{Dense("dense", 8, "relu", "\"batch_input_shape\": [null, 4], ")}}}},
          {"class_name": "BatchNormalization", "config": {"name": "batch_normalization", "trainable": true, "dtype": "float32", "axis": [1],
           "momentum": 0.99, "epsilon": 0.001, "center": true, "scale": true, "beta_initializer": {{{Zeros}}}, "gamma_initializer": {{{Ones}}},
           "moving_mean_initializer": {{{Zeros}}}, "moving_variance_initializer": {{{Ones}}}, "beta_regularizer": null, "gamma_regularizer": null,
           "beta_constraint": null, "gamma_constraint": null}},
          {"class_name": "Dropout", "config": {"name": "dropout", "trainable": true, "dtype": "float32", "rate": 0.5, "noise_shape": null, "seed": null}},
          {"class_name": "Dense", "config": {{{Dense("dense_1", 3, "softmax")}}}}]}}
        """;

    /// <summary>
    /// ids (5) -> Embedding(10, 4, input_length=5) -> LSTM(3) -> Dense "dense" (2) and Dense "dense_1" (2), Concatenate,
    /// as tf.keras.Model(inputs, outputs) wrote it (class "Functional").
    /// </summary>
    public static readonly string Functional = $$$"""
        {"class_name": "Functional", "config": {"name": "model", "layers": [
          {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 5], "dtype": "float32", "sparse": false, "ragged": false, "name": "ids"},
           "name": "ids", "inbound_nodes": []},
          {"class_name": "Embedding", "config": {"name": "embedding", "trainable": true, "batch_input_shape": [null, 5], "dtype": "float32",
           "input_dim": 10, "output_dim": 4, "embeddings_initializer": {"class_name": "RandomUniform", "config": {"minval": -0.05, "maxval": 0.05, "seed": null}},
           "embeddings_regularizer": null, "activity_regularizer": null, "embeddings_constraint": null, "mask_zero": false, "input_length": 5},
           "name": "embedding", "inbound_nodes": [[["ids", 0, 0, {}]]]},
          {"class_name": "LSTM", "config": {"name": "lstm", "trainable": true, "dtype": "float32", "return_sequences": false, "return_state": false,
           "go_backwards": false, "stateful": false, "unroll": false, "time_major": false, "units": 3, "activation": "tanh",
           "recurrent_activation": "sigmoid", "use_bias": true, "kernel_initializer": {{{Glorot}}},
           "recurrent_initializer": {"class_name": "Orthogonal", "config": {"gain": 1.0, "seed": null}}, "bias_initializer": {{{Zeros}}},
           "unit_forget_bias": true, "kernel_regularizer": null, "recurrent_regularizer": null, "bias_regularizer": null,
           "activity_regularizer": null, "kernel_constraint": null, "recurrent_constraint": null, "bias_constraint": null,
           "dropout": 0.0, "recurrent_dropout": 0.0, "implementation": 2},
           "name": "lstm", "inbound_nodes": [[["embedding", 0, 0, {}]]]},
          {"class_name": "Dense", "config": {{{Dense("dense", 2, "relu")}}}, "name": "dense", "inbound_nodes": [[["lstm", 0, 0, {}]]]},
          {"class_name": "Dense", "config": {{{Dense("dense_1", 2, "tanh")}}}, "name": "dense_1", "inbound_nodes": [[["lstm", 0, 0, {}]]]},
          {"class_name": "Concatenate", "config": {"name": "concatenate", "trainable": true, "dtype": "float32", "axis": -1},
           "name": "concatenate", "inbound_nodes": [[["dense", 0, 0, {}], ["dense_1", 0, 0, {}]]]}],
          "input_layers": [["ids", 0, 0]], "output_layers": [["concatenate", 0, 0]]}}
        """;

    /// <summary>
    /// A tf.keras transfer-learning model: a functional "encoder" (input_1 (4) -> Dense "dense" (3, relu) -> Dense
    /// "dense_1" (2)) called with training=False in a functional model that adds Dense "dense_2" (1, sigmoid). tf.keras
    /// numbered the encoder's call 1 (its own node came first).
    /// </summary>
    public static readonly string NestedFunctional = $$$"""
        {"class_name": "Functional", "config": {"name": "model_1", "layers": [
          {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_2"},
           "name": "input_2", "inbound_nodes": []},
          {"class_name": "Functional", "config": {"name": "encoder", "layers": [
             {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_1"},
              "name": "input_1", "inbound_nodes": []},
             {"class_name": "Dense", "config": {{{Dense("dense", 3, "relu")}}}, "name": "dense", "inbound_nodes": [[["input_1", 0, 0, {}]]]},
             {"class_name": "Dense", "config": {{{Dense("dense_1", 2, "linear")}}}, "name": "dense_1", "inbound_nodes": [[["dense", 0, 0, {}]]]}],
           "input_layers": [["input_1", 0, 0]], "output_layers": [["dense_1", 0, 0]]},
           "name": "encoder", "inbound_nodes": [[["input_2", 0, 0, {"training": false}]]]},
          {"class_name": "Dense", "config": {{{Dense("dense_2", 1, "sigmoid")}}}, "name": "dense_2", "inbound_nodes": [[["encoder", 1, 0, {}]]]}],
          "input_layers": [["input_2", 0, 0]], "output_layers": [["dense_2", 0, 0]]}}
        """;

    /// <summary>
    /// tf.keras 2.x's Sequential form: the InputLayer it made ("dense_input") listed first, then Dense (4 -> 3, relu) and
    /// Dense (2, softmax).
    /// </summary>
    public static readonly string SequentialWithInputLayer = $$$"""
        {"class_name": "Sequential", "config": {"name": "sequential_3", "layers": [
          {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "dtype": "float32", "sparse": false, "ragged": false, "name": "dense_input"}},
          {"class_name": "Dense", "config": {{{Dense("dense", 3, "relu", "\"batch_input_shape\": [null, 4], ")}}}},
          {"class_name": "Dense", "config": {{{Dense("dense_1", 2, "softmax")}}}}]}}
        """;

    /// <summary>
    /// A trainable nested functional model with BatchNormalization (input_1 (4) -> Dense "dense" (3) ->
    /// BatchNormalization -> Dense "dense_1" (2)) in a model adding Dense "dense_2" (1): Keras lists the nested model's
    /// trainable weights of every layer first, then the moving statistics.
    /// </summary>
    public static readonly string NestedWithBatchNormalization = $$$"""
        {"class_name": "Functional", "config": {"name": "model_2", "layers": [
          {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_2"},
           "name": "input_2", "inbound_nodes": []},
          {"class_name": "Functional", "config": {"name": "base", "layers": [
             {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "dtype": "float32", "sparse": false, "ragged": false, "name": "input_1"},
              "name": "input_1", "inbound_nodes": []},
             {"class_name": "Dense", "config": {{{Dense("dense", 3, "relu")}}}, "name": "dense", "inbound_nodes": [[["input_1", 0, 0, {}]]]},
             {"class_name": "BatchNormalization", "config": {"name": "batch_normalization", "trainable": true, "dtype": "float32", "axis": [1],
              "momentum": 0.99, "epsilon": 0.001, "center": true, "scale": true, "beta_initializer": {{{Zeros}}}, "gamma_initializer": {{{Ones}}},
              "moving_mean_initializer": {{{Zeros}}}, "moving_variance_initializer": {{{Ones}}}, "beta_regularizer": null, "gamma_regularizer": null,
              "beta_constraint": null, "gamma_constraint": null}, "name": "batch_normalization", "inbound_nodes": [[["dense", 0, 0, {}]]]},
             {"class_name": "Dense", "config": {{{Dense("dense_1", 2, "linear")}}}, "name": "dense_1", "inbound_nodes": [[["batch_normalization", 0, 0, {}]]]}],
           "input_layers": [["input_1", 0, 0]], "output_layers": [["dense_1", 0, 0]]},
           "name": "base", "inbound_nodes": [[["input_2", 0, 0, {}]]]},
          {"class_name": "Dense", "config": {{{Dense("dense_2", 1, "sigmoid")}}}, "name": "dense_2", "inbound_nodes": [[["base", 1, 0, {}]]]}],
          "input_layers": [["input_2", 0, 0]], "output_layers": [["dense_2", 0, 0]]}}
        """;

    /// <summary>
    /// Keras 2.2's form of a nested Sequential without an InputLayer (its first layer carries batch_input_shape), called
    /// as node 1 and read as node 1 by the Dense after it.
    /// </summary>
    public static readonly string NestedSequentialWithoutInputLayer = $$$"""
        {"class_name": "Model", "config": {"name": "model_3", "layers": [
          {"class_name": "InputLayer", "config": {"batch_input_shape": [null, 4], "dtype": "float32", "sparse": false, "name": "input_3"},
           "name": "input_3", "inbound_nodes": []},
          {"class_name": "Sequential", "config": {"name": "head", "layers": [
             {"class_name": "Dense", "config": {{{Dense("dense", 3, "relu", "\"batch_input_shape\": [null, 4], ")}}}}]},
           "name": "head", "inbound_nodes": [[["input_3", 0, 0, {}]]]},
          {"class_name": "Dense", "config": {{{Dense("dense_1", 1, "linear")}}}, "name": "dense_1", "inbound_nodes": [[["head", 1, 0, {}]]]}],
          "input_layers": [["input_3", 0, 0]], "output_layers": [["dense_1", 0, 0]]}}
        """;
}
