using System.Globalization;
namespace NeuralNet.Keras.Tests;

/// <summary>
/// config.json texts in the form Keras 3 writes them (module, registered_name, DTypePolicy objects, build_config,
/// compile_config, __keras_tensor__ inbound nodes), transcribed from configs written by Keras 3.
/// </summary>
internal static partial class KerasConfigs
{
    private const string Policy = """{"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}""";
    private const string Glorot = """{"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null}, "registered_name": null}""";
    private const string Zeros = """{"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}""";

    /// <summary>A Dense layer's item as Keras 3 writes it.</summary>
    public static string Dense(string name, int units, string activation, int inputs) => $$$"""
        {"module": "keras.layers", "class_name": "Dense", "config": {"name": "{{{name}}}", "trainable": true, "dtype": {{{Policy}}},
         "units": {{{units}}}, "activation": "{{{activation}}}", "use_bias": true, "kernel_initializer": {{{Glorot}}}, "bias_initializer": {{{Zeros}}},
         "kernel_regularizer": null, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null, "quantization_config": null},
         "registered_name": null, "build_config": {"input_shape": [null, {{{inputs}}}]}}
        """;

    /// <summary>Keras' compile_config for Adam, sparse categorical crossentropy and accuracy.</summary>
    public const string AdamCompile = """
        {"optimizer": {"module": "keras.optimizers", "class_name": "Adam", "config": {"name": "adam", "learning_rate": 0.0010000000474974513,
          "weight_decay": null, "clipnorm": null, "global_clipnorm": null, "clipvalue": null, "use_ema": false, "ema_momentum": 0.99,
          "ema_overwrite_frequency": null, "loss_scale_factor": null, "gradient_accumulation_steps": null, "beta_1": 0.9, "beta_2": 0.999,
          "epsilon": 1e-07, "amsgrad": false}, "registered_name": null},
         "loss": "sparse_categorical_crossentropy", "loss_weights": null, "metrics": ["accuracy"], "weighted_metrics": null,
         "run_eagerly": false, "steps_per_execution": 1, "jit_compile": false}
        """;

    /// <summary>keras.Sequential([keras.Input((4,)), Dense(8, relu), Dense(3, softmax)]), compiled with Adam.</summary>
    public static readonly string SequentialMlp = $$$"""
        {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "trainable": true, "dtype": {{{Policy}}},
          "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4], "dtype": "float32", "sparse": false,
             "ragged": false, "name": "input_layer", "optional": false}, "registered_name": null},
            {{{Dense("dense", 8, "relu", 4)}}},
            {{{Dense("dense_1", 3, "softmax", 8)}}}],
          "build_input_shape": [null, 4]},
         "registered_name": null, "build_config": {"input_shape": [null, 4]}, "compile_config": {{{AdamCompile}}}}
        """;

    /// <summary>
    /// keras.Sequential([keras.Input((3,), dtype="int64"), IntegerLookup(max_tokens=6, vocabulary=[1, 2],
    /// idf_weights=[0.5, 1.5], output_mode="tf_idf", pad_to_max_tokens=True), Dense(2)]): Keras keeps the given
    /// vocabulary and weights in the config as given (its input_vocabulary and input_idf_weights).
    /// </summary>
    public static readonly string TfIdfLookup = $$$"""
        {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "trainable": true, "dtype": {{{Policy}}},
          "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 3], "dtype": "int64", "sparse": false,
             "ragged": false, "name": "input_layer", "optional": false}, "registered_name": null},
            {"module": "keras.layers", "class_name": "IntegerLookup", "config": {"name": "integer_lookup", "trainable": true,
             "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "int64"}, "registered_name": null},
             "invert": false, "max_tokens": 6, "num_oov_indices": 1, "oov_token": -1, "mask_token": null, "output_mode": "tf_idf",
             "sparse": false, "pad_to_max_tokens": true, "vocabulary_dtype": "int64", "idf_weights": [0.5, 1.5], "vocabulary": [1, 2],
             "vocabulary_size": 3, "oov_method": "floormod"}, "registered_name": null, "build_config": {"input_shape": [null, 3]}},
            {{{Dense("dense", 2, "linear", 6)}}}],
          "build_input_shape": [null, 3]},
         "registered_name": null, "build_config": {"input_shape": [null, 3]}}
        """;

    private const string Orthogonal = """{"module": "keras.initializers", "class_name": "Orthogonal", "config": {"seed": null, "gain": 1.0}, "registered_name": null}""";

    /// <summary>A cell item as Keras 3 serializes it inside an RNN: <c>SimpleRNNCell</c>, <c>LSTMCell</c> or <c>GRUCell</c>.</summary>
    public static string Cell(string className, string name, int units) => $$$"""
        {"module": "keras.layers", "class_name": "{{{className}}}", "config": {"name": "{{{name}}}", "trainable": true, "dtype": {{{Policy}}},
         "units": {{{units}}}, "activation": "tanh", {{{(className == "SimpleRNNCell" ? string.Empty : "\"recurrent_activation\": \"sigmoid\",")}}} "use_bias": true,
         "kernel_initializer": {{{Glorot}}}, "recurrent_initializer": {{{Orthogonal}}}, "bias_initializer": {{{Zeros}}},
         {{{(className == "LSTMCell" ? "\"unit_forget_bias\": true," : className == "GRUCell" ? "\"reset_after\": true," : string.Empty)}}}
         "kernel_regularizer": null, "recurrent_regularizer": null, "bias_regularizer": null, "kernel_constraint": null,
         "recurrent_constraint": null, "bias_constraint": null, "dropout": 0.0, "recurrent_dropout": 0.0, "seed": null}, "registered_name": null}
        """;

    /// <summary>The config of <c>keras.layers.RNN(keras.layers.StackedRNNCells(cells), ...)</c> as Keras 3 writes it.</summary>
    public static string StackedRnnConfig(string name, string[] cells, bool returnSequences, bool goBackwards = false, bool returnState = false) => $$$"""
        {"name": "{{{name}}}", "trainable": true, "dtype": {{{Policy}}}, "return_sequences": {{{Json(returnSequences)}}}, "return_state": {{{Json(returnState)}}},
         "go_backwards": {{{Json(goBackwards)}}}, "stateful": false, "unroll": false, "zero_output_for_mask": false,
         "cell": {"module": "keras.layers", "class_name": "StackedRNNCells", "config": {"name": "stacked_rnn_cells", "trainable": true,
          "dtype": {{{Policy}}}, "cells": [{{{string.Join(", ", cells)}}}]}, "registered_name": null}}
        """;

    /// <summary>
    /// keras.Sequential([keras.Input((steps, features)), <paramref name="layers"/>...]) as Keras 3 writes it (steps null: None)
    /// (each of <paramref name="layers"/> a (class name, config) pair).
    /// </summary>
    public static string Sequential(int? steps, int features, params (string ClassName, string Config)[] layers) => $$$"""
        {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "trainable": true, "dtype": {{{Policy}}},
          "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, {{{steps?.ToString(CultureInfo.InvariantCulture) ?? "null"}}}, {{{features}}}], "dtype": "float32", "sparse": false,
             "ragged": false, "name": "input_layer", "optional": false}, "registered_name": null}{{{string.Concat(layers.Select(l => $$"""
             , {"module": "keras.layers", "class_name": "{{l.ClassName}}", "config": {{l.Config}}, "registered_name": null}
             """))}}}],
          "build_input_shape": [null, {{{steps?.ToString(CultureInfo.InvariantCulture) ?? "null"}}}, {{{features}}}]},
         "registered_name": null, "build_config": {"input_shape": [null, {{{steps?.ToString(CultureInfo.InvariantCulture) ?? "null"}}}, {{{features}}}]}}
        """;

    private static string Json(bool value) => value ? "true" : "false";

    /// <summary>A __keras_tensor__ argument naming output 0 of the first call of <paramref name="layer"/>.</summary>
    public static string Tensor(string layer, params int[] shape) => $$$"""
        {"class_name": "__keras_tensor__", "config": {"shape": [null, {{{string.Join(", ", shape)}}}], "dtype": "float32", "keras_history": ["{{{layer}}}", 0, 0]}}
        """;

    /// <summary>
    /// A functional model, inputs (6, 3) -> LSTM(5, return_sequences) -> Bidirectional(GRU(4)) and, from the input,
    /// GlobalAveragePooling1D -> Dense(4); Concatenate -> BatchNormalization -> Dense(2), as keras.Model(inputs=x, outputs=y).
    /// </summary>
    public static readonly string FunctionalSequenceModel = $$$"""
        {"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "functional", "trainable": true,
          "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 6, 3], "dtype": "float32", "sparse": false,
             "ragged": false, "name": "steps", "optional": false}, "registered_name": null, "name": "steps", "inbound_nodes": []},
            {"module": "keras.layers", "class_name": "LSTM", "config": {"name": "lstm", "trainable": true, "dtype": {{{Policy}}},
             "return_sequences": true, "return_state": false, "go_backwards": false, "stateful": false, "unroll": false, "zero_output_for_mask": true,
             "units": 5, "activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": true, "kernel_initializer": {{{Glorot}}},
             "recurrent_initializer": {"module": "keras.initializers", "class_name": "Orthogonal", "config": {"seed": null, "gain": 1.0}, "registered_name": null},
             "bias_initializer": {{{Zeros}}}, "unit_forget_bias": true, "kernel_regularizer": null, "recurrent_regularizer": null,
             "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "recurrent_constraint": null,
             "bias_constraint": null, "dropout": 0.0, "recurrent_dropout": 0.0, "seed": null},
             "registered_name": null, "build_config": {"shapes_dict": {"sequences_shape": [null, 6, 3]}}, "name": "lstm",
             "inbound_nodes": [{"args": [{{{Tensor("steps", 6, 3)}}}], "kwargs": {"mask": null}}]},
            {"module": "keras.layers", "class_name": "Bidirectional", "config": {"name": "bidirectional", "trainable": true, "dtype": {{{Policy}}},
             "merge_mode": "concat",
             "layer": {"module": "keras.layers", "class_name": "GRU", "config": {"name": "forward_gru", "trainable": true, "dtype": {{{Policy}}},
               "return_sequences": false, "return_state": false, "go_backwards": false, "stateful": false, "unroll": false, "zero_output_for_mask": false,
               "units": 4, "activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": true, "kernel_initializer": {{{Glorot}}},
               "recurrent_initializer": {"module": "keras.initializers", "class_name": "Orthogonal", "config": {"seed": null, "gain": 1.0}, "registered_name": null},
               "bias_initializer": {{{Zeros}}}, "kernel_regularizer": null, "recurrent_regularizer": null, "bias_regularizer": null,
               "activity_regularizer": null, "kernel_constraint": null, "recurrent_constraint": null, "bias_constraint": null,
               "dropout": 0.0, "recurrent_dropout": 0.0, "reset_after": true, "seed": null}, "registered_name": null},
             "backward_layer": {"module": "keras.layers", "class_name": "GRU", "config": {"name": "backward_gru", "trainable": true, "dtype": {{{Policy}}},
               "return_sequences": false, "return_state": false, "go_backwards": true, "stateful": false, "unroll": false, "zero_output_for_mask": false,
               "units": 4, "activation": "tanh", "recurrent_activation": "sigmoid", "use_bias": true, "kernel_initializer": {{{Glorot}}},
               "recurrent_initializer": {"module": "keras.initializers", "class_name": "Orthogonal", "config": {"seed": null, "gain": 1.0}, "registered_name": null},
               "bias_initializer": {{{Zeros}}}, "kernel_regularizer": null, "recurrent_regularizer": null, "bias_regularizer": null,
               "activity_regularizer": null, "kernel_constraint": null, "recurrent_constraint": null, "bias_constraint": null,
               "dropout": 0.0, "recurrent_dropout": 0.0, "reset_after": true, "seed": null}, "registered_name": null}},
             "registered_name": null, "build_config": {"input_shape": [null, 6, 5]}, "name": "bidirectional",
             "inbound_nodes": [{"args": [{{{Tensor("lstm", 6, 5)}}}], "kwargs": {"mask": null}}]},
            {"module": "keras.layers", "class_name": "GlobalAveragePooling1D", "config": {"name": "global_average_pooling1d", "trainable": true,
             "dtype": {{{Policy}}}, "data_format": "channels_last", "keepdims": false}, "registered_name": null, "name": "global_average_pooling1d",
             "inbound_nodes": [{"args": [{{{Tensor("steps", 6, 3)}}}], "kwargs": {"mask": null}}]},
            {{{Dense("dense", 4, "relu", 3).TrimEnd()[..^1]}}}, "name": "dense",
             "inbound_nodes": [{"args": [{{{Tensor("global_average_pooling1d", 3)}}}], "kwargs": {}}]},
            {"module": "keras.layers", "class_name": "Concatenate", "config": {"name": "concatenate", "trainable": true, "dtype": {{{Policy}}}, "axis": -1},
             "registered_name": null, "build_config": {"input_shape": [[null, 8], [null, 4]]}, "name": "concatenate",
             "inbound_nodes": [{"args": [[{{{Tensor("bidirectional", 8)}}}, {{{Tensor("dense", 4)}}}]], "kwargs": {}}]},
            {"module": "keras.layers", "class_name": "BatchNormalization", "config": {"name": "batch_normalization", "trainable": true,
             "dtype": {{{Policy}}}, "axis": -1, "momentum": 0.99, "epsilon": 0.001, "center": true, "scale": true,
             "beta_initializer": {{{Zeros}}}, "gamma_initializer": {"module": "keras.initializers", "class_name": "Ones", "config": {}, "registered_name": null},
             "moving_mean_initializer": {{{Zeros}}}, "moving_variance_initializer": {"module": "keras.initializers", "class_name": "Ones", "config": {}, "registered_name": null},
             "beta_regularizer": null, "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null, "synchronized": false},
             "registered_name": null, "build_config": {"input_shape": [null, 12]}, "name": "batch_normalization",
             "inbound_nodes": [{"args": [{{{Tensor("concatenate", 12)}}}], "kwargs": {"mask": null}}]},
            {{{Dense("dense_1", 2, "softmax", 12).TrimEnd()[..^1]}}}, "name": "dense_1",
             "inbound_nodes": [{"args": [{{{Tensor("batch_normalization", 12)}}}], "kwargs": {}}]}],
          "input_layers": ["steps", 0, 0], "output_layers": ["dense_1", 0, 0]},
         "registered_name": "Functional", "build_config": {"input_shape": null}}
        """;

    /// <summary>A layer item with its inbound node: <paramref name="item"/> (as <see cref="Dense"/> gives it) called on <paramref name="input"/>.</summary>
    public static string Called(string item, string name, string input, int inputSize, string kwargs = "{}") =>
        item.TrimEnd()[..^1] + $$$""", "name": "{{{name}}}", "inbound_nodes": [{"args": [{{{Tensor(input, inputSize)}}}], "kwargs": {{{kwargs}}}}]}""";

    private static string InputLayer(string name, int size) => $$$"""
        {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, {{{size}}}], "dtype": "float32", "sparse": false,
         "ragged": false, "name": "{{{name}}}", "optional": false}, "registered_name": null, "name": "{{{name}}}", "inbound_nodes": []}
        """;

    /// <summary>
    /// The transfer-learning pattern: a functional model "encoder" (pixels (4) -> Dense "dense" (3, relu) -> Dropout ->
    /// Dense "dense_1" (2)) called with training=False inside a functional model that adds its own Dense "dense" (1, sigmoid).
    /// </summary>
    public static readonly string NestedFunctional = $$$"""
        {"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "classifier", "trainable": true,
          "layers": [
            {{{InputLayer("input_layer", 4)}}},
            {{{Encoder}}},
            {{{Called(Dense("dense", 1, "sigmoid", 2), "dense", "encoder", 2)}}}],
          "input_layers": [["input_layer", 0, 0]], "output_layers": [["dense", 0, 0]]},
         "registered_name": "Functional", "build_config": {"input_shape": [null, 4]}}
        """;

    /// <summary>keras.Model(x, encoder(x, training=False)): the output is the nested model's, which Keras numbers from 1.</summary>
    public static readonly string EncoderOutput = $$$"""
        {"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "features", "trainable": true,
          "layers": [
            {{{InputLayer("input_layer", 4)}}},
            {{{Encoder}}}],
          "input_layers": [["input_layer", 0, 0]], "output_layers": [["encoder", 1, 0]]},
         "registered_name": "Functional", "build_config": {"input_shape": [null, 4]}}
        """;

    private static string Encoder => $$$"""
        {"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "encoder", "trainable": true,
          "layers": [
            {{{InputLayer("pixels", 4)}}},
            {{{Called(Dense("dense", 3, "relu", 4), "dense", "pixels", 4)}}},
            {"module": "keras.layers", "class_name": "Dropout", "config": {"name": "dropout", "trainable": true, "dtype": {{{Policy}}},
             "rate": 0.5, "seed": null, "noise_shape": null}, "registered_name": null, "name": "dropout",
             "inbound_nodes": [{"args": [{{{Tensor("dense", 3)}}}], "kwargs": {}}]},
            {{{Called(Dense("dense_1", 2, "linear", 3), "dense_1", "dropout", 3)}}}],
          "input_layers": [["pixels", 0, 0]], "output_layers": [["dense_1", 0, 0]]},
         "registered_name": "Functional", "build_config": {"input_shape": [null, 4]}, "name": "encoder",
         "inbound_nodes": [{"args": [{{{Tensor("input_layer", 4)}}}], "kwargs": {"training": false}}]}
        """;

    private static readonly string FrozenDense = Dense("dense", 3, "relu", 4).Replace("\"trainable\": true", "\"trainable\": false", StringComparison.Ordinal);

    /// <summary>keras.Sequential([keras.Input((4,)), base, Dense(1)]) where base is keras.Sequential([Dense(3, relu)]).</summary>
    public static readonly string NestedSequential = $$$"""
        {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential_1", "trainable": true, "dtype": {{{Policy}}},
          "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4], "dtype": "float32", "sparse": false,
             "ragged": false, "name": "input_layer_1", "optional": false}, "registered_name": null},
            {"module": "keras", "class_name": "Sequential", "config": {"name": "base", "trainable": false, "dtype": {{{Policy}}},
              "layers": [
                {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4], "dtype": "float32", "sparse": false,
                 "ragged": false, "name": "input_layer", "optional": false}, "registered_name": null},
                {{{FrozenDense}}}],
              "build_input_shape": [null, 4]}, "registered_name": null, "build_config": {"input_shape": [null, 4]}},
            {{{Dense("dense_1", 1, "linear", 3)}}}],
          "build_input_shape": [null, 4]},
         "registered_name": null, "build_config": {"input_shape": [null, 4]}}
        """;
}
