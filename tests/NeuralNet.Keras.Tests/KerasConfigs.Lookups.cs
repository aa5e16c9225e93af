namespace NeuralNet.Keras.Tests;

// Models with lookups that learned their vocabulary with adapt: Keras' get_config (index_lookup.py, text_vectorization.py)
// writes "vocabulary": null and "idf_weights": null then, and vocabulary_size the size adapt gave.
internal static partial class KerasConfigs
{
    /// <summary>An InputLayer item of a functional model: <c>keras.Input(shape, dtype=dtype, name=name)</c>.</summary>
    public static string Input(string name, string dtype, params int[] shape) => $$$"""
        {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, {{{string.Join(", ", shape)}}}], "dtype": "{{{dtype}}}", "sparse": false,
         "ragged": false, "name": "{{{name}}}", "optional": false}, "registered_name": null, "name": "{{{name}}}", "inbound_nodes": []}
        """;

    /// <summary>An adapted <c>TextVectorization(max_tokens=10, output_mode=mode, output_sequence_length=length)</c>'s item.</summary>
    public static string TextVectorization(string mode, int? sequenceLength, int vocabularySize) => $$$"""
        {"module": "keras.layers", "class_name": "TextVectorization", "config": {"name": "text_vectorization", "trainable": true, "dtype": {{{Policy}}},
         "max_tokens": 10, "standardize": "lower_and_strip_punctuation", "split": "whitespace", "ngrams": null, "output_mode": "{{{mode}}}",
         "output_sequence_length": {{{(sequenceLength is int n ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : "null")}}}, "pad_to_max_tokens": false,
         "sparse": false, "ragged": false, "vocabulary": null, "idf_weights": null, "encoding": "utf-8", "vocabulary_size": {{{vocabularySize}}}},
         "registered_name": null}
        """;

    /// <summary>An adapted lookup's item: <c>IntegerLookup</c> or <c>StringLookup</c> with the given mode and mask token (a JSON value); a <c>StringLookup</c>'s without <c>vocabulary_dtype</c>, which its get_config deletes.</summary>
    public static string Lookup(string className, string name, string mode, string maskToken, int vocabularySize)
    {
        bool strings = className == "StringLookup";
        string policy = strings ? Policy : """{"module": "keras", "class_name": "DTypePolicy", "config": {"name": "int64"}, "registered_name": null}""";
        return $$$"""
            {"module": "keras.layers", "class_name": "{{{className}}}", "config": {"name": "{{{name}}}", "trainable": true, "dtype": {{{policy}}},
             "invert": false, "max_tokens": null, "num_oov_indices": 1, "oov_token": {{{(strings ? "\"[UNK]\"" : "-1")}}}, "mask_token": {{{maskToken}}},
             "output_mode": "{{{mode}}}", "sparse": false, "pad_to_max_tokens": false,{{{(strings ? string.Empty : " \"vocabulary_dtype\": \"int64\",")}}}
             "idf_weights": null, "vocabulary": null, "vocabulary_size": {{{vocabularySize}}}, "oov_method": "floormod"{{{(strings ? ", \"encoding\": \"utf-8\"" : string.Empty)}}}},
             "registered_name": null}
            """;
    }

    /// <summary>A string tensor argument naming output 0 of <paramref name="layer"/>.</summary>
    public static string StringTensor(string layer, params int[] shape) => $$$"""
        {"class_name": "__keras_tensor__", "config": {"shape": [null, {{{string.Join(", ", shape)}}}], "dtype": "string", "keras_history": ["{{{layer}}}", 0, 0]}}
        """;

    /// <summary>An item called on <paramref name="tensor"/> (a <see cref="Tensor"/> or <see cref="StringTensor"/> text).</summary>
    public static string CalledOn(string item, string name, string tensor) =>
        item.TrimEnd()[..^1] + $$$""", "name": "{{{name}}}", "inbound_nodes": [{"args": [{{{tensor}}}], "kwargs": {}}]}""";

    /// <summary>
    /// The text-classification tutorial's end-to-end model: <c>inputs = keras.Input(shape=(1,), dtype="string")</c>,
    /// an adapted TextVectorization (int, output_sequence_length 4, vocabulary of 6), then the trained model, nested:
    /// <c>keras.Sequential([Embedding(6, 2), GlobalAveragePooling1D(), Dense(1)])</c>, and <c>keras.Model(inputs, model(vectorize(inputs)))</c>.
    /// </summary>
    public static readonly string EndToEndText = $$$"""
        {"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "functional", "trainable": true,
          "layers": [
            {{{Input("input_layer", "string", 1)}}},
            {{{CalledOn(TextVectorization("int", 4, 6), "text_vectorization", StringTensor("input_layer", 1))}}},
            {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "trainable": true, "dtype": {{{Policy}}},
              "layers": [
                {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 4], "dtype": "int64", "sparse": false,
                 "ragged": false, "name": "input_layer_1", "optional": false}, "registered_name": null},
                {"module": "keras.layers", "class_name": "Embedding", "config": {"name": "embedding", "trainable": true, "dtype": {{{Policy}}},
                 "input_dim": 6, "output_dim": 2, "embeddings_initializer": {"module": "keras.initializers", "class_name": "RandomUniform",
                 "config": {"seed": null, "minval": -0.05, "maxval": 0.05}, "registered_name": null}, "embeddings_regularizer": null,
                 "activity_regularizer": null, "embeddings_constraint": null, "mask_zero": false, "lora_rank": null},
                 "registered_name": null, "build_config": {"input_shape": [null, 4]}},
                {"module": "keras.layers", "class_name": "GlobalAveragePooling1D", "config": {"name": "global_average_pooling1d", "trainable": true,
                 "dtype": {{{Policy}}}, "data_format": "channels_last", "keepdims": false}, "registered_name": null, "build_config": {"input_shape": [null, 4, 2]}},
                {{{Dense("dense", 1, "linear", 2)}}}],
              "build_input_shape": [null, 4]}, "registered_name": null, "build_config": {"input_shape": [null, 4]}, "name": "sequential",
             "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "int64", "keras_history": ["text_vectorization", 0, 0]}}], "kwargs": {}}]}],
          "input_layers": [["input_layer", 0, 0]], "output_layers": [["sequential", 0, 0]]},
         "registered_name": "Functional", "build_config": {"input_shape": null}}
        """;

    /// <summary><c>keras.Sequential([keras.Input(shape, dtype), layer, Dense(1)])</c>, <paramref name="layer"/> giving <paramref name="width"/> features.</summary>
    public static string SequentialOver(string dtype, int[] shape, string layer, int width) => $$$"""
        {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "trainable": true, "dtype": {{{Policy}}},
          "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, {{{string.Join(", ", shape)}}}], "dtype": "{{{dtype}}}", "sparse": false,
             "ragged": false, "name": "input_layer", "optional": false}, "registered_name": null},
            {{{layer}}},
            {{{Dense("dense", 1, "linear", width)}}}],
          "build_input_shape": [null, {{{string.Join(", ", shape)}}}]},
         "registered_name": null, "build_config": {"input_shape": [null, {{{string.Join(", ", shape)}}}]}}
        """;

    /// <summary>
    /// <c>keras.Sequential([keras.Input((3,), dtype="int64"), keras.Sequential([lookup]), Dense(1)])</c>: the lookup's
    /// vocabulary asset is at <c>assets/layers/sequential/layers/integer_lookup/vocabulary.txt</c>.
    /// </summary>
    public static string NestedLookup(string lookup, int width) => $$$"""
        {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential_1", "trainable": true, "dtype": {{{Policy}}},
          "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 3], "dtype": "int64", "sparse": false,
             "ragged": false, "name": "input_layer_1", "optional": false}, "registered_name": null},
            {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "trainable": true, "dtype": {{{Policy}}},
              "layers": [
                {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 3], "dtype": "int64", "sparse": false,
                 "ragged": false, "name": "input_layer", "optional": false}, "registered_name": null},
                {{{lookup}}}],
              "build_input_shape": [null, 3]}, "registered_name": null, "build_config": {"input_shape": [null, 3]}},
            {{{Dense("dense", 1, "linear", width)}}}],
          "build_input_shape": [null, 3]},
         "registered_name": null, "build_config": {"input_shape": [null, 3]}}
        """;
}
