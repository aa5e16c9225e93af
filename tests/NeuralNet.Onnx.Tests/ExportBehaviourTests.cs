using Microsoft.ML.OnnxRuntime;
using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using NeuralNet.Onnx.Protobuf;
using Xunit;

namespace NeuralNet.Onnx.Tests;

/// <summary>What the file says about the model (names, batch dimension, metadata), determinism, and every kind of bad input.</summary>
public sealed class ExportBehaviourTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("neuralnet-onnx-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Inputs_and_outputs_carry_the_model_names_and_a_dynamic_batch_dimension()
    {
        Model model = ExportCases.Build("shared_layers_two_outputs");
        using var session = new InferenceSession(model.ToOnnxBytes(new OnnxExportOptions { BatchDimensionName = "n" }));

        Assert.Equal(["left", "right"], session.InputMetadata.Keys);
        Assert.Equal(["same", "code"], session.OutputMetadata.Keys);
        foreach (NodeMetadata value in session.InputMetadata.Values.Concat(session.OutputMetadata.Values))
        {
            Assert.Equal(-1, value.Dimensions[0]);
            Assert.Equal("n", value.SymbolicDimensions[0]);
        }

        Assert.Equal([-1, 5], session.InputMetadata["left"].Dimensions);
        Assert.Equal([-1, 1], session.OutputMetadata["same"].Dimensions);
        Assert.Equal([-1, 4], session.OutputMetadata["code"].Dimensions);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(17)]
    public void Any_batch_size_runs(int batch) =>
        OnnxRoundTrip.AssertMatchesPredict(ExportCases.Build("conv_same_strided_no_bias"), batch: batch);

    [Fact]
    public void The_metadata_names_the_model_its_version_and_the_producer()
    {
        Model model = ExportCases.Build("dense_relu_softmax");
        using var session = new InferenceSession(model.ToOnnxBytes(new OnnxExportOptions { ModelVersion = 42, Description = "digits, v42" }));

        ModelMetadata metadata = session.ModelMetadata;
        Assert.Equal(model.Name, metadata.GraphName);
        Assert.Equal(42, metadata.Version);
        Assert.Equal("NeuralNet", metadata.ProducerName);
        Assert.Equal("digits, v42", metadata.Description);
        Assert.Equal(model.Name, metadata.CustomMetadataMap["model_name"]);
        Assert.Equal("42", metadata.CustomMetadataMap["model_version"]);
    }

    [Fact]
    public void The_file_declares_the_chosen_opset_and_its_ir_version()
    {
        Model model = ExportCases.Build("dense_relu_softmax");
        Assert.Equal((17L, 8L), Versions(model.ToOnnxBytes()));
        Assert.Equal((13L, 7L), Versions(model.ToOnnxBytes(new OnnxExportOptions { Opset = 13 })));
        Assert.Equal((21L, 10L), Versions(model.ToOnnxBytes(new OnnxExportOptions { Opset = 21 })));
        Assert.Equal((23L, 11L), Versions(model.ToOnnxBytes(new OnnxExportOptions { Opset = 23 })));

        static (long Opset, long Ir) Versions(byte[] onnx)
        {
            ModelProto proto = ModelProto.Parser.ParseFrom(onnx);
            return (proto.OpsetImport.Single(o => o.Domain.Length == 0).Version, proto.IrVersion);
        }
    }

    [Fact]
    public void Export_is_deterministic_across_calls_rebuilt_models_and_saved_files()
    {
        byte[] first = ExportCases.Build("global_average_pool").ToOnnxBytes();
        Model rebuilt = ExportCases.Build("global_average_pool");
        Assert.Equal(first, rebuilt.ToOnnxBytes());
        Assert.Equal(first, rebuilt.ToOnnxBytes());

        string saved = Path.Combine(_folder, "model.safetensors");
        rebuilt.Save(saved);
        Assert.Equal(first, Model.Load(saved).ToOnnxBytes());

        string a = Path.Combine(_folder, "a.onnx"), b = Path.Combine(_folder, "b.onnx");
        rebuilt.ExportOnnx(a);
        using (var stream = File.Create(b))
        {
            rebuilt.ExportOnnx(stream);
        }

        Assert.Equal(first, File.ReadAllBytes(a));
        Assert.Equal(first, File.ReadAllBytes(b));
    }

    [Fact]
    public void Fused_activations_become_nodes_dropout_none_and_same_padding_explicit_pads()
    {
        var model = new Sequential(seed: 1);
        model.Add(new InputLayer(9, 10, 3));
        model.Add(new Conv2D(4, 3, strides: 2, padding: Padding.Same, activation: ActivationFunction.Relu, name: "conv"));
        model.Add(new Dropout(0.5, name: "drop"));
        model.Add(new Flatten(name: "flat"));
        model.Add(new Dense(3, ActivationFunction.Softmax, name: "out"));
        GraphProto graph = ModelProto.Parser.ParseFrom(model.ToOnnxBytes()).Graph;

        Assert.Equal(["Transpose", "Conv", "Relu", "Transpose", "Flatten", "MatMul", "Add", "Softmax"], graph.Node.Select(n => n.OpType));
        NodeProto conv = graph.Node.Single(n => n.OpType == "Conv");
        // 9 rows, stride 2, kernel 3: 5 rows need 11 = 9 + 2 padded rows, 1 above and 1 below; 10 columns need 1 more, on the right.
        Assert.Equal([1L, 0L, 1L, 1L], conv.Attribute.Single(a => a.Name == "pads").Ints);
        Assert.DoesNotContain(graph.Node, n => n.Name.StartsWith("drop", StringComparison.Ordinal));
        Assert.Equal("out", graph.Node[^1].Output.Single());
        Assert.Equal(["conv/kernel", "conv/bias", "out/kernel", "out/bias"], graph.Initializer.Select(i => i.Name));
    }

    [Fact]
    public void A_shared_layer_writes_its_weights_once()
    {
        GraphProto graph = ModelProto.Parser.ParseFrom(ExportCases.Build("shared_layers_two_outputs").ToOnnxBytes()).Graph;
        Assert.Single(graph.Initializer, i => i.Name == "encoder/kernel");
        Assert.Equal(2, graph.Node.Count(n => n.Input.Contains("encoder/kernel")));
    }

    [Fact]
    public void An_unbuilt_model_is_refused()
    {
        var model = new Sequential(name: "draft");
        model.Add(new Dense(4));
        var error = Assert.Throws<InvalidOperationException>(() => model.ToOnnxBytes());
        Assert.Contains("'draft' is not built", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_rnn_over_cells_is_refused_naming_the_layer(bool returnState)
    {
        // Rnn runs any cell, a user's too, one call per step: NeuralNet.Onnx writes the SimpleRNN, LSTM and GRU layers only.
        var input = new Input(new TensorShape(4, 3));
        SymbolicTensor[] outputs = new Rnn(new LstmCell(2), returnState: returnState, name: "cells").CallOutputs(input);
        var model = new Functional(input, new Dense(1).Call(outputs[0]), seed: 1);

        var error = Assert.Throws<NotSupportedException>(() => model.ToOnnxBytes());

        Assert.Contains("Layer 'cells'", error.Message, StringComparison.Ordinal);
        Assert.Contains("NeuralNet.Layers.Rnn", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lambda_is_refused_naming_the_layer()
    {
        // Lambda runs a function of the user's, which has no ONNX form.
        var input = new Input(new TensorShape(4, 3));
        SymbolicTensor lambda = new Lambda((Tensor x) => x, name: "fn").Call(input);
        var lambdaModel = new Functional(input, new Dense(1).Call(lambda), seed: 1);

        var lambdaError = Assert.Throws<NotSupportedException>(() => lambdaModel.ToOnnxBytes());

        Assert.Contains("Layer 'fn' (NeuralNet.Layers.Lambda)", lambdaError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_rnn_inside_bidirectional_is_refused_naming_the_layer_and_the_wrapper()
    {
        var input = new Input(new TensorShape(4, 3));
        SymbolicTensor h = new Bidirectional(new Rnn(new GruCell(2), name: "cells"), name: "both").Call(input);
        var model = new Functional(input, new Dense(1).Call(h), seed: 1);

        var error = Assert.Throws<NotSupportedException>(() => model.ToOnnxBytes());

        Assert.Contains("Layer 'forward_cells' (inside 'both') (NeuralNet.Layers.Rnn, over GRUCell)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_with_variable_axes_is_refused_naming_the_input_and_axes()
    {
        var model = new Sequential([new InputLayer([null, 4], name: "frames"), new Lstm(3), new Dense(1)], name: "any_length");

        var error = Assert.Throws<NotSupportedException>(() => model.ToOnnxBytes());

        Assert.Contains("'frames'", error.Message, StringComparison.Ordinal);
        Assert.Contains("variable axes [0]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_conv_lstm_with_an_activation_onnx_lacks_or_a_mask_is_refused_by_name()
    {
        // A user's activation in the ConvLSTM cell has no ONNX form: the export names the layer and the activation.
        var model = new Sequential([new InputLayer(3, 6, 6, 1), new ConvLstm2D(2, 3, recurrentActivation: new Cube(), name: "clstm"), new Flatten(), new Dense(1)], name: "video");
        var error = Assert.Throws<NotSupportedException>(() => model.ToOnnxBytes());
        Assert.Contains("clstm", error.Message, StringComparison.Ordinal);
        Assert.Contains("cube", error.Message, StringComparison.Ordinal);

        // A mask reaching a ConvLSTM: Predict refuses it, and so does the export, naming the layer.
        var masked = new Sequential([new InputLayer(3, 4, 4, 1), new Masking(), new ConvLstm2D(2, 3, name: "masked"), new Flatten(), new Dense(1)], name: "video");
        Assert.Throws<NotSupportedException>(() => masked.Predict(Tensor.RandomNormal(new TensorShape(2, 3, 4, 4, 1), 1)));
        var maskError = Assert.Throws<NotSupportedException>(() => masked.ToOnnxBytes());
        Assert.Contains("Layer 'masked' (NeuralNet.Layers.ConvLstm2D) of model 'video' gets a mask with its input, but ConvLSTM layers do not support masking", maskError.Message, StringComparison.Ordinal);

        // Only the first output of a ConvLSTM returning its states is read: the export writes it.
        var x = new Input(new TensorShape(2, 5, 1), name: "x");
        SymbolicTensor[] outputs = new ConvLstm1D(2, 3, name: "states") { ReturnState = true }.CallOutputs(x);
        var functional = new Functional(x, outputs[0], name: "signals");
        Assert.NotEmpty(functional.ToOnnxBytes());
    }

    [Fact]
    public void A_layer_without_an_onnx_form_is_named_and_the_previous_file_is_kept()
    {
        var x = new Input(new TensorShape(4), name: "x");
        SymbolicTensor y = new Doubling(name: "twice").Call(new Dense(3).Call(x));
        var model = new Functional(x, y, name: "custom");
        string path = Path.Combine(_folder, "custom.onnx");
        File.WriteAllText(path, "previous");

        var error = Assert.Throws<NotSupportedException>(() => model.ExportOnnx(path));

        Assert.Contains("Layer 'twice' (NeuralNet.Onnx.Tests.Doubling) of model 'custom' has no ONNX form", error.Message, StringComparison.Ordinal);
        Assert.Contains("not layers of your own or subclasses of NeuralNet's", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Conv2D", error.Message, StringComparison.Ordinal);
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_folder));

        using var stream = new MemoryStream();
        Assert.Throws<NotSupportedException>(() => model.ExportOnnx(stream));
        Assert.Equal(0, stream.Length);
    }

    [Fact]
    public void Calls_fixed_to_training_mode_are_refused_and_inference_mode_calls_export()
    {
        var x = new Input(new TensorShape(6), name: "x");
        SymbolicTensor h = new Dense(4).Call(x);
        var monteCarlo = new Functional(x, new Dropout(0.5, name: "mc").Call(h, training: true), name: "mc_dropout");
        var error = Assert.Throws<NotSupportedException>(() => monteCarlo.ToOnnxBytes());
        Assert.Contains("Layer 'mc' (NeuralNet.Layers.Dropout) of model 'mc_dropout' is called with training: true", error.Message, StringComparison.Ordinal);

        var x2 = new Input(new TensorShape(6), name: "x");
        SymbolicTensor h2 = new BatchNormalization(name: "bn").Call(new Dense(4).Call(x2), training: false);
        OnnxRoundTrip.AssertMatchesPredict(new Functional(x2, new Dense(2).Call(h2), name: "inference_mode"));
    }

    [Fact]
    public void Stateful_recurrent_layers_are_refused_with_the_layer_named()
    {
        var x = new Input(new TensorShape(5, 3), name: "x");
        var model = new Functional(x, new Lstm(4, name: "carried") { Stateful = true }.Call(x), name: "streaming");
        var error = Assert.Throws<NotSupportedException>(() => model.ToOnnxBytes());
        Assert.Contains("Layer 'carried' (NeuralNet.Layers.Lstm) of model 'streaming' is stateful", error.Message, StringComparison.Ordinal);

        var y = new Input(new TensorShape(5, 3), name: "y");
        var wrapped = new Functional(y, new Bidirectional(new Gru(2) { Stateful = true }, name: "both").Call(y), name: "wrapped");
        error = Assert.Throws<NotSupportedException>(() => wrapped.ToOnnxBytes());
        Assert.Contains("Layer 'both' (NeuralNet.Layers.Bidirectional) of model 'wrapped' is stateful", error.Message, StringComparison.Ordinal);

        // A stateful Rnn, alone or in Bidirectional, is refused as an Rnn: a copy with Stateful = false would be refused too.
        var z = new Input(new TensorShape(5, 3), name: "z");
        foreach (Layer layer in new Layer[] { new Rnn(new GruCell(2), name: "cells") { Stateful = true }, new Bidirectional(new Rnn(new GruCell(2), name: "cells") { Stateful = true }, name: "both") })
        {
            error = Assert.Throws<NotSupportedException>(() => new Functional(z, layer.Call(z), name: "rnn").ToOnnxBytes());
            Assert.Contains("(NeuralNet.Layers.Rnn, over GRUCell) of model 'rnn' has no ONNX form", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Stateful = false", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_mask_lost_before_the_layer_reading_it_is_refused_naming_the_layers_and_the_way_out()
    {
        // Concatenate along the steps joins the masks like the values, which the exporter does not follow.
        var ids = new Input(new TensorShape(6), name: "ids");
        var more = new Input(new TensorShape(2, 4), name: "more");
        SymbolicTensor words = new Embedding(10, 4, maskZero: true, name: "words").Call(ids);
        SymbolicTensor joined = new Concatenate(axis: 1, name: "join").Call(words, more);
        var model = new Functional([ids, more], [new Lstm(3, name: "reader").Call(joined)], name: "padded");
        string message = Assert.Throws<NotSupportedException>(() => model.ToOnnxBytes()).Message;
        Assert.Contains("Layer 'reader' (Lstm) of model 'padded' reads the mask that layer 'words' (Embedding with maskZero) makes, which NeuralNet.Onnx cannot follow through layer 'join' (Concatenate: joined along an axis the masks have)", message, StringComparison.Ordinal);
        Assert.Contains("Export a model built with maskZero: false", message, StringComparison.Ordinal);

        // A layer that drops the mask (Flatten) ends it: what follows computes the same with or without it.
        var flattened = new Sequential(name: "flat");
        flattened.Add(new InputLayer(6));
        flattened.Add(new Embedding(10, 4, maskZero: true, name: "words"));
        flattened.Add(new Flatten());
        flattened.Add(new Dense(2));
        GraphProto graph = ModelProto.Parser.ParseFrom(flattened.ToOnnxBytes()).Graph;

        // Nothing reads the mask, so it is not computed.
        Assert.DoesNotContain(graph.Node, n => n.OpType is "Equal" or "Not");
    }

    [Fact]
    public void An_activation_without_an_onnx_form_is_named_with_its_layer()
    {
        var model = new Sequential(name: "odd");
        model.Add(new InputLayer(4));
        model.Add(new Dense(3, new Cube(), name: "cubed"));
        var error = Assert.Throws<NotSupportedException>(() => model.ToOnnxBytes());
        Assert.Contains("Layer 'cubed' (Dense) uses the activation 'cube'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_recurrent_activation_onnx_lacks_is_named_with_its_layer()
    {
        var model = new Sequential(name: "seq");
        model.Add(new InputLayer(4, 3));
        model.Add(new Lstm(2, activation: new Elu(), name: "memory"));
        var error = Assert.Throws<NotSupportedException>(() => model.ToOnnxBytes());
        Assert.Contains("Layer 'memory' (LSTM) uses the activation 'elu'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_opset_too_old_says_which_is_needed_and_one_too_new_says_the_range()
    {
        Model model = ExportCases.Build("dense_relu_softmax");
        var old = Assert.Throws<ArgumentOutOfRangeException>(() => model.ToOnnxBytes(new OnnxExportOptions { Opset = 12 }));
        Assert.Contains("Opset 12 is too old", old.Message, StringComparison.Ordinal);
        Assert.Contains("need opset 13 or later", old.Message, StringComparison.Ordinal);
        Assert.Contains("'dense' (Dense)", old.Message, StringComparison.Ordinal);

        var newer = Assert.Throws<ArgumentOutOfRangeException>(() => model.ToOnnxBytes(new OnnxExportOptions { Opset = 24 }));
        Assert.Contains("from 13 to 23", newer.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unwritable_path_names_it_and_leaves_nothing_behind()
    {
        Model model = ExportCases.Build("dense_relu_softmax");
        string missing = Path.Combine(_folder, "no-such-folder", "m.onnx");
        var notFound = Assert.Throws<DirectoryNotFoundException>(() => model.ExportOnnx(missing));
        Assert.Contains(Path.Combine(_folder, "no-such-folder"), notFound.Message, StringComparison.Ordinal);

        string folderTarget = Directory.CreateDirectory(Path.Combine(_folder, "taken.onnx")).FullName;
        Assert.ThrowsAny<IOException>(() => model.ExportOnnx(folderTarget));
        Assert.True(Directory.Exists(folderTarget));
        Assert.Empty(Directory.GetFiles(_folder));

        string fileAsFolder = Path.Combine(_folder, "plain");
        File.WriteAllText(fileAsFolder, "keep");
        Assert.ThrowsAny<IOException>(() => model.ExportOnnx(Path.Combine(fileAsFolder, "m.onnx")));
        Assert.Equal("keep", File.ReadAllText(fileAsFolder));
        Assert.Equal([fileAsFolder], Directory.GetFiles(_folder));
    }

    [Fact]
    public void A_read_only_stream_is_refused()
    {
        using var stream = new MemoryStream([], writable: false);
        var error = Assert.Throws<ArgumentException>(() => ExportCases.Build("dense_relu_softmax").ExportOnnx(stream));
        Assert.Equal("stream", error.ParamName);
    }

    [Fact]
    public void ExportOnnx_LayerCalledTwiceOnOneTensor_IsWrittenOnceWithPredictsResults()
    {
        // A shared Dense called twice on the same tensor, once in a fixed inference mode: both calls compute the same
        // values at inference, so the file holds one MatMul and both outputs read it.
        var x = new Input(new TensorShape(4), "x");
        var shared = new Dense(3, name: "shared");
        var model = new Functional([x], [shared.Call(x), new Identity(name: "second").Call(shared.Call(x, training: false))], name: "twice", seed: 2);
        GraphProto graph = ModelProto.Parser.ParseFrom(model.ToOnnxBytes()).Graph;

        Assert.Equal(1, graph.Node.Count(n => n.OpType == "MatMul"));
        Assert.Equal(2, graph.Output.Count);
        OnnxRoundTrip.AssertMatchesPredictOn(model.Randomized(), Tensor.RandomNormal(new TensorShape(2, 4), 3));
    }

    [Fact]
    public void A_reversible_embeddings_lookup_and_reverse_call_on_one_tensor_are_two_calls()
    {
        // Ids (3, 4) with values below 4 are also 3 hidden vectors of 4: the lookup gives (3, 4, 4), the reverse call (3, 4).
        var x = new Input(new TensorShape(3, 4), "x");
        var embedding = new ReversibleEmbedding(4, 4, name: "tokens");
        SymbolicTensor looked = embedding.Call(x);
        var model = new Functional([x], [looked, new Identity(name: "reversed").Call(embedding.CallReverse(x))], name: "both_ways", seed: 3);
        Tensor ids = Tensor.FromArray([.. Enumerable.Range(0, 24).Select(i => (float)((i * 3) % 4))], 2, 3, 4);

        OnnxRoundTrip.AssertMatchesPredictOn(model, ids);
    }

    [Fact]
    public void A_comparison_writes_its_zero_only_for_the_logical_operators()
    {
        // Only logical_and/or/not compare with 0; an initializer nothing reads makes ONNX Runtime warn.
        var x = new Input(4);
        var model = new Functional(x, new Concatenate().Call(new Comparison(ComparisonOperator.GreaterEqual, 0.5f, "ge").Call(x), new Comparison(ComparisonOperator.LogicalNot, name: "not").Call(x)));
        GraphProto graph = ModelProto.Parser.ParseFrom(model.ToOnnxBytes()).Graph;

        Assert.DoesNotContain(graph.Initializer, i => i.Name.StartsWith("ge/", StringComparison.Ordinal) && i.Name.EndsWith("zero", StringComparison.Ordinal));
        Assert.Single(graph.Initializer, i => i.Name.StartsWith("not/", StringComparison.Ordinal) && i.Name.EndsWith("zero", StringComparison.Ordinal));
        Assert.All(graph.Initializer, i => Assert.Contains(graph.Node, n => n.Input.Contains(i.Name)));
    }

    [Fact]
    public void Comparisons_of_nan_infinities_and_ties_match_onnx_runtime()
    {
        // >= and <= are Or(Greater, Equal) and Or(Less, Equal) in ONNX: false where either side is NaN, as the layer gives.
        // Predict takes finite inputs only, so the NaN and -inf come from Log of negative numbers and of 0.
        var a = new Input(6);
        var b = new Input(6);
        SymbolicTensor x = new ElementwiseMath(ElementwiseFunction.Log).Call(a), y = new ElementwiseMath(ElementwiseFunction.Log).Call(b);
        SymbolicTensor[] holds = [.. new[] { ComparisonOperator.Greater, ComparisonOperator.GreaterEqual, ComparisonOperator.Less, ComparisonOperator.LessEqual,
            ComparisonOperator.Equal, ComparisonOperator.NotEqual, ComparisonOperator.LogicalAnd, ComparisonOperator.LogicalOr }.Select(op => new Comparison(op).Call(x, y)),
            new Comparison(ComparisonOperator.GreaterEqual, 0f).Call(x), new Comparison(ComparisonOperator.LessEqual, 0f).Call(x), new Comparison(ComparisonOperator.LogicalNot).Call(x)];
        var model = new Functional([a, b], [new Concatenate().Call(holds)]);
        Tensor left = Tensor.FromArray([-1f, 1f, -1f, 0f, 0f, 2f, 0.5f, -3f, 4f, 1f, 0f, 7f], 2, 6);
        Tensor right = Tensor.FromArray([1f, -1f, -2f, 1f, 0f, 2f, 0.5f, 2f, -1f, 1f, 3f, 7f], 2, 6);

        float[] first = OnnxRoundTrip.AssertMatchesPredictOn(model, left, right);

        // Row 0: log a >= log b at (NaN, 0), (0, NaN), (NaN, NaN), (-inf, 0) is false; at (-inf, -inf), (ln 2, ln 2) true.
        Assert.Equal([0f, 0f, 0f, 0f, 1f, 1f], first.AsSpan(6, 6).ToArray());
    }
}

/// <summary>A user's layer: it has no ONNX form.</summary>
public sealed class Doubling(string? name = null) : Layer(name)
{
    public override string DefaultNamePrefix => "doubling";

    protected override TensorShape OnBuild(TensorShape inputShape) => inputShape;

    protected override Tensor OnForward(Tensor input, bool training) => input * 2f;

    protected override Tensor OnBackward(Tensor outputGradient) => outputGradient * 2f;
}

/// <summary>A user's activation, x³: it has no ONNX form.</summary>
public sealed class Cube : ActivationFunction
{
    public override string Name => "cube";

    public override void Forward(ReadOnlySpan<float> input, Span<float> output, int columns)
    {
        for (int i = 0; i < input.Length; i++)
        {
            output[i] = input[i] * input[i] * input[i];
        }
    }

    public override void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> output, ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int columns)
    {
        for (int i = 0; i < input.Length; i++)
        {
            inputGradient[i] = 3 * input[i] * input[i] * outputGradient[i];
        }
    }
}
