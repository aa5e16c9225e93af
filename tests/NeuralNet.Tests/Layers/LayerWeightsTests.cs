using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Layers;

// Keras' layer.get_weights() / set_weights() (the serialization guide's layer_2.set_weights(layer_1.get_weights())).
public class LayerWeightsTests
{
    private static Dense BuiltDense(long seed)
    {
        var dense = new Dense(3) { Seed = seed };
        dense.Build(new TensorShape(4));
        return dense;
    }

    [Fact]
    public void GetWeights_Dense_KernelThenBiasAsCopies()
    {
        Dense dense = BuiltDense(1);

        IReadOnlyList<Tensor> weights = dense.GetWeights();

        Assert.Equal(2, weights.Count);
        Assert.Equal(new TensorShape(4, 3), weights[0].Shape);
        Assert.Equal(new TensorShape(3), weights[1].Shape);
        Assert.Equal(dense.Kernel.Value.ToArray(), weights[0].ToArray());
        weights[0].AsSpan()[0] += 1;
        Assert.NotEqual(dense.Kernel.Value[0, 0], weights[0][0, 0]);
    }

    [Fact]
    public void GetWeights_BatchNormalization_KerasOrder()
    {
        var layer = new BatchNormalization();
        layer.Build(new TensorShape(5));

        IReadOnlyList<Tensor> weights = layer.GetWeights();

        Assert.Equal(["gamma", "beta", "moving_mean", "moving_variance"], layer.Parameters.Select(p => p.Name));
        Assert.Equal(4, weights.Count);
        Assert.Equal(Enumerable.Repeat(1f, 5), weights[0].ToArray());
        Assert.Equal(Enumerable.Repeat(0f, 5), weights[1].ToArray());
        Assert.Equal(Enumerable.Repeat(0f, 5), weights[2].ToArray());
        Assert.Equal(Enumerable.Repeat(1f, 5), weights[3].ToArray());
    }

    [Fact]
    public void GetWeights_Unbuilt_Empty()
    {
        Assert.Empty(new Dense(3).GetWeights());
    }

    [Fact]
    public void SetWeights_OtherLayersWeights_SameOutputs()
    {
        Dense first = BuiltDense(1), second = BuiltDense(2);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 4), seed: 3);
        Assert.NotEqual(first.Forward(x, training: false).ToArray(), second.Forward(x, training: false).ToArray());

        second.SetWeights(first.GetWeights());

        Assert.Equal(first.Forward(x, training: false).ToArray(), second.Forward(x, training: false).ToArray());
    }

    [Fact]
    public void SetWeights_WrongShape_NamesLayerWeightAndShapesAndChangesNothing()
    {
        Dense dense = BuiltDense(1);
        float[] kernel = dense.Kernel.Value.ToArray();
        Tensor[] weights = [Tensor.Ones(4, 3), Tensor.Ones(2)];

        var e = Assert.Throws<ArgumentException>(() => dense.SetWeights(weights));

        Assert.Contains("Dense", e.Message, StringComparison.Ordinal);
        Assert.Contains("'bias'", e.Message, StringComparison.Ordinal);
        Assert.Contains(new TensorShape(3).ToString(), e.Message, StringComparison.Ordinal);
        Assert.Contains(new TensorShape(2).ToString(), e.Message, StringComparison.Ordinal);
        Assert.Equal(kernel, dense.Kernel.Value.ToArray());
    }

    [Fact]
    public void SetWeights_WrongCount_NamesLayerAndCounts()
    {
        Dense dense = BuiltDense(1);
        float[] kernel = dense.Kernel.Value.ToArray();

        var e = Assert.Throws<ArgumentException>(() => dense.SetWeights([Tensor.Ones(4, 3)]));

        Assert.Contains("has 2 weight tensors but 1 were given", e.Message, StringComparison.Ordinal);
        Assert.Contains("kernel", e.Message, StringComparison.Ordinal);
        Assert.Equal(kernel, dense.Kernel.Value.ToArray());
    }

    [Fact]
    public void SetWeights_Unbuilt_SaysToBuildFirst()
    {
        var e = Assert.Throws<ArgumentException>(() => new Dense(3).SetWeights([Tensor.Ones(4, 3), Tensor.Ones(3)]));

        Assert.Contains("until it is built", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetWeights_LayersOfModel_ConcatenateToModelGetWeights()
    {
        var model = new Sequential([new InputLayer(4), new Dense(3), new BatchNormalization(), new Dense(2)], seed: 5);

        float[][] fromLayers = [.. model.Layers.SelectMany(l => l.GetWeights()).Select(t => t.ToArray())];
        float[][] fromModel = [.. model.GetWeights().Select(t => t.ToArray())];

        Assert.Equal(fromModel, fromLayers);
    }

    [Fact]
    public void SetWeights_BeforeModelSeedsLayer_ValuesKept()
    {
        var dense = new Dense(2);
        var input = new Input(3);
        SymbolicTensor output = dense.Call(input);
        Tensor[] weights = [Tensor.Filled(0.5f, 3, 2), Tensor.Filled(0.25f, 2)];

        dense.SetWeights(weights);
        var model = new Functional(input, output);

        Assert.Equal(Enumerable.Repeat(0.5f, 6), model.GetWeights()[0].ToArray());
        Assert.Equal(Enumerable.Repeat(0.25f, 2), model.GetWeights()[1].ToArray());
    }

    // A layer of one's own that builds a sublayer before creating its own weights, a non-trainable one before a trainable
    // one: Keras' layer.weights lists its own trainable variables, then its non-trainable ones, then the sublayer's.
    private sealed class ScaledDense : Layer
    {
        private Dense _dense = new(2, name: "dense");

        public override string DefaultNamePrefix => "scaled_dense";

        protected override TensorShape OnBuild(TensorShape inputShape)
        {
            _dense = BuildSublayer(_dense, inputShape);
            AddParameter("calls", new TensorShape(1), global::NeuralNet.Initializers.Zeros.Instance, trainable: false);
            AddParameter("scale", new TensorShape(2), new global::NeuralNet.Initializers.Ones());
            return _dense.OutputShape;
        }

        protected override Tensor OnForward(Tensor input, bool training) => _dense.Forward(input, training);

        protected override Tensor OnBackward(Tensor outputGradient) => _dense.Backward(outputGradient);
    }

    private static string[] Names(IEnumerable<Parameter> parameters) => [.. parameters.Select(p => p.Name)];

    [Fact]
    public void GetWeights_SpectralNormalization_KernelThenVectorUThenBiasAsKerasTracksThem()
    {
        // keras/src/layers/normalization/spectral_normalization.py build: self.kernel = self.layer.kernel tracks the
        // wrapped kernel as the wrapper's own trainable variable, then add_weight("vector_u", trainable=False); layer.py's
        // weights lists own trainable, own non-trainable, then the wrapped layer's weights not seen yet (its bias).
        var layer = new SpectralNormalization(new Dense(3, name: "dense"));
        layer.Build(new TensorShape(4));

        Assert.Equal(["dense/kernel", "dense/bias", "vector_u"], Names(layer.Parameters));
        Assert.Equal(["dense/kernel", "vector_u", "dense/bias"], Names(layer.Weights));
        IReadOnlyList<Tensor> weights = layer.GetWeights();
        Assert.Equal([new TensorShape(4, 3), new TensorShape(1, 3), new TensorShape(3)], weights.Select(w => w.Shape));

        Tensor kernel = Tensor.Filled(0.5f, 4, 3), u = Tensor.Filled(0.25f, 1, 3), bias = Tensor.Filled(-1f, 3);
        layer.SetWeights([kernel, u, bias]);

        var dense = (Dense)layer.InnerLayer;
        Assert.Equal(kernel.ToArray(), dense.Kernel.Value.ToArray());
        Assert.Equal(u.ToArray(), layer.VectorU.Value.ToArray());
        Assert.Equal(bias.ToArray(), dense.Bias!.Value.ToArray());
        var e = Assert.Throws<ArgumentException>(() => layer.SetWeights([kernel, bias, u]));
        Assert.Contains("weight 1 ('vector_u') has shape (1, 3)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetWeights_BidirectionalAndTimeDistributed_TheWrappedLayersWeightsInTurn()
    {
        // Keras' Bidirectional tracks forward_layer then backward_layer (each an LSTM whose cell holds kernel,
        // recurrent_kernel, bias); TimeDistributed (a Wrapper) tracks its layer.
        var bidirectional = new Bidirectional(new Lstm(2));
        bidirectional.Build(new TensorShape(5, 3));
        var timeDistributed = new TimeDistributed(new Dense(2, name: "dense"));
        timeDistributed.Build(new TensorShape(5, 3));

        Assert.Equal([.. bidirectional.ForwardLayer.Parameters, .. bidirectional.BackwardLayer.Parameters], bidirectional.Weights);
        Assert.Equal(["kernel", "recurrent_kernel", "bias", "kernel", "recurrent_kernel", "bias"], bidirectional.Weights.Select(p => p.Name.Split('/')[^1]));
        Assert.All(bidirectional.Weights.Take(3), p => Assert.StartsWith(bidirectional.ForwardLayer.Name + "/", p.Name, StringComparison.Ordinal));
        Assert.Equal(["dense/kernel", "dense/bias"], Names(timeDistributed.Weights));
    }

    [Fact]
    public void GetWeights_LayerWithASublayer_OwnTrainableThenOwnNonTrainableThenTheSublayers()
    {
        var layer = new ScaledDense();
        layer.Build(new TensorShape(3));

        Assert.Equal(["dense/kernel", "dense/bias", "calls", "scale"], Names(layer.Parameters));
        Assert.Equal(["scale", "calls", "dense/kernel", "dense/bias"], Names(layer.Weights));
        Assert.Equal([new TensorShape(2), new TensorShape(1), new TensorShape(3, 2), new TensorShape(2)], layer.GetWeights().Select(w => w.Shape));
    }

    [Fact]
    public void GetWeights_SublayersBuiltInAnotherOrderThanCreated_ComeInCreationOrderAsKerasTracksAttributes()
    {
        // Keras: __init__ sets self.gate = Dense(3) then self.project = Dense(3), and build() creates self.mix = Dense(2);
        // layer.weights lists gate's, project's, then mix's, whatever order build() builds them in (here project first,
        // whose output gate reads). Build order is Parameters' order; Weights follows the attributes.
        var layer = new OutOfOrderBlock();
        layer.Build(new TensorShape(4));

        Assert.Equal(["project/kernel", "project/bias", "gate/kernel", "gate/bias", "mix/kernel", "mix/bias"], Names(layer.Parameters));
        Assert.Equal(["gate/kernel", "gate/bias", "project/kernel", "project/bias", "mix/kernel", "mix/bias"], Names(layer.Weights));
        Assert.Equal([new TensorShape(3, 3), new TensorShape(3), new TensorShape(4, 3), new TensorShape(3), new TensorShape(3, 2), new TensorShape(2)],
            layer.GetWeights().Select(w => w.Shape));

        // A model's GetWeights / SetWeights take the same order: a second block given the first's weights computes the same.
        var first = new Sequential([new InputLayer(4), new OutOfOrderBlock()], seed: 21);
        var second = new Sequential([new InputLayer(4), new OutOfOrderBlock()], seed: 22);
        Tensor x = Tensor.RandomNormal(new TensorShape(3, 4), seed: 23);
        Assert.NotEqual(first.Predict(x).ToArray(), second.Predict(x).ToArray());
        second.SetWeights(first.GetWeights());
        Assert.Equal(first.Predict(x).ToArray(), second.Predict(x).ToArray());
    }

    // Two sublayers created as fields (Keras' __init__ attributes), built in the reverse order, and one created in OnBuild.
    private sealed class OutOfOrderBlock : Layer
    {
        private Dense _gate = new(3, name: "gate");
        private Dense _project = new(3, name: "project");
        private Dense? _mix;

        public override string DefaultNamePrefix => "out_of_order_block";

        protected override TensorShape OnBuild(TensorShape inputShape)
        {
            _project = BuildSublayer(_project, inputShape);
            _gate = BuildSublayer(_gate, _project.OutputShape);
            _mix = BuildSublayer(new Dense(2, name: "mix"), _gate.OutputShape);
            return _mix.OutputShape;
        }

        protected override Tensor OnForward(Tensor input, bool training) =>
            _mix!.Forward(_gate.Forward(_project.Forward(input, training), training), training);

        protected override Tensor OnBackward(Tensor outputGradient) =>
            _project.Backward(_gate.Backward(_mix!.Backward(outputGradient)));
    }

    [Fact]
    public void GetWeights_LoraFreezesTheKernel_ItKeepsItsPlace()
    {
        // Keras' enable_lora sets kernel.trainable = False; the kernel stays in _trainable_variables, before the bias and
        // the two LoRA matrices added after it.
        Dense dense = BuiltDense(1);
        dense.EnableLora(2);

        Assert.False(dense.Kernel.Trainable);
        Assert.Equal(dense.Parameters, dense.Weights);
        Assert.Equal([new TensorShape(4, 3), new TensorShape(3), new TensorShape(4, 2), new TensorShape(2, 3)], dense.GetWeights().Select(w => w.Shape));
    }

    [Fact]
    public void GetWeights_ModelWithASpectralNormalization_IsItsLayersListsAndSetWeightsTakesThatOrder()
    {
        var model = new Sequential([new InputLayer(4), new SpectralNormalization(new Dense(3, name: "dense")), new Dense(2, name: "out")], seed: 6);

        Tensor[] fromLayers = [.. model.Layers.SelectMany(l => l.GetWeights())];
        IReadOnlyList<Tensor> fromModel = model.GetWeights();

        Assert.Equal(fromLayers.Select(t => t.Shape), fromModel.Select(t => t.Shape));
        Assert.Equal(fromLayers.Select(t => t.ToArray()), fromModel.Select(t => t.ToArray()));
        Assert.Equal(new TensorShape(1, 3), fromModel[1].Shape);

        var copy = new Sequential([new InputLayer(4), new SpectralNormalization(new Dense(3, name: "dense")), new Dense(2, name: "out")], seed: 7);
        copy.SetWeights(fromModel);
        Tensor x = Tensor.RandomNormal(new TensorShape(2, 4), seed: 8);
        Assert.Equal(model.Predict(x).ToArray(), copy.Predict(x).ToArray());
    }
}
