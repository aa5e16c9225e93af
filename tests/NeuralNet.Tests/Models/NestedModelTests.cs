using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Tests.GradientChecking;
using Xunit;

namespace NeuralNet.Tests.Models;

// Models used as blocks of larger ones (Keras' nested models): Model.Call / CallOutputs and Sequential.Add(Model).
public class NestedModelTests
{
    private static int[] Bits(Tensor t) => Array.ConvertAll(t.ToArray(), BitConverter.SingleToInt32Bits);

    // x (6) -> tanh dense(4) -> tanh dense(3): the encoder of an autoencoder, with automatic layer names.
    private static Functional Encoder(long seed = 1)
    {
        var x = new Input(new TensorShape(6));
        SymbolicTensor h = new Dense(4, ActivationFunction.Tanh).Call(x);
        return new Functional(x, new Dense(3, ActivationFunction.Tanh).Call(h), name: "encoder", seed: seed);
    }

    // code (3) -> dense(6): the decoder, also with automatic names, so its layers' names clash with the encoder's.
    private static Functional Decoder(long seed = 2)
    {
        var code = new Input(new TensorShape(3));
        return new Functional(code, new Dense(6).Call(code), name: "decoder", seed: seed);
    }

    private static Functional Autoencoder(Functional encoder, Functional decoder)
    {
        var x = new Input(new TensorShape(6), "pixels");
        return new Functional(x, decoder.Call(encoder.Call(x)), name: "autoencoder", seed: 3);
    }

    [Fact]
    public void Call_ModelsInAModel_PredictAsTheirComposition()
    {
        Functional encoder = Encoder(), decoder = Decoder();
        Functional autoencoder = Autoencoder(encoder, decoder);
        Tensor x = Tensor.RandomNormal(new TensorShape(5, 6), 4);

        Tensor expected = decoder.Predict(encoder.Predict(x));

        Assert.Equal(Bits(expected), Bits(autoencoder.Predict(x)));
        Assert.Equal(encoder.ParameterCount + decoder.ParameterCount, autoencoder.ParameterCount);
        Assert.Equal(encoder.Parameters.Concat(decoder.Parameters), autoencoder.Parameters, ReferenceEqualityComparer.Instance);
    }

    [Fact]
    public void Call_LayerNamesTakenInTheLargerModel_RenamesTheNestedModelsLayers()
    {
        Functional encoder = Encoder(), decoder = Decoder();
        Assert.Equal(["input_layer", "dense", "dense_1"], encoder.Layers.Select(l => l.Name));
        Assert.Equal("dense", decoder.Layers[1].Name);

        Functional autoencoder = Autoencoder(encoder, decoder);

        // The encoder's layers come first and keep their names; the decoder's dense gets the next free automatic name,
        // in both models (one layer object).
        Assert.Equal(["pixels", "dense", "dense_1", "dense_2"], autoencoder.Layers.Select(l => l.Name));
        Assert.Equal("dense_2", decoder.Layers[1].Name);
        Assert.Equal(decoder.Layers[1], autoencoder.Layers[3]);
    }

    [Fact]
    public void Call_NestedLayerWithTheNameOfADirectLayer_YieldsItsOwnNameWithASuffix()
    {
        var x0 = new Input(new TensorShape(4));
        var block = new Functional(x0, new Dense(4, name: "proj").Call(x0), name: "block");
        var x = new Input(new TensorShape(4), "x");
        SymbolicTensor y = new Dense(4, name: "proj").Call(block.Call(x));

        var model = new Functional(x, y);

        Assert.Equal(["x", "proj_1", "proj"], model.Layers.Select(l => l.Name));
        Assert.Equal("proj_1", block.Layers[1].Name);
    }

    [Fact]
    public void Call_DirectLayersWithOneName_StillRefused()
    {
        var x = new Input(new TensorShape(4));
        SymbolicTensor y = new Dense(4, name: "same").Call(new Dense(4, name: "same").Call(x));

        var e = Assert.Throws<ArgumentException>(() => new Functional(x, y));
        Assert.Contains("two different layers named 'same'", e.Message);
    }

    [Fact]
    public void Fit_LargerModel_TrainsTheNestedModelsWeights()
    {
        Functional encoder = Encoder(), decoder = Decoder();
        Functional autoencoder = Autoencoder(encoder, decoder);
        Tensor x = Tensor.RandomNormal(new TensorShape(32, 6), 5);
        int[] before = Bits(encoder.Predict(x));

        autoencoder.Compile(new Adam(0.01f), new MeanSquaredError());
        autoencoder.Fit(x, x, epochs: 2, batchSize: 8, verbose: 0, seed: 6);

        Assert.NotEqual(before, Bits(encoder.Predict(x)));
        Assert.Equal(Bits(decoder.Predict(encoder.Predict(x))), Bits(autoencoder.Predict(x)));
    }

    [Fact]
    public void Fit_FrozenBaseModel_TrainsOnlyTheNewHead()
    {
        // Keras' transfer learning: freeze the base model, train a head called on its output.
        Functional baseModel = Encoder();
        var x = new Input(new TensorShape(6), "image");
        var head = new Dense(2, ActivationFunction.Softmax, name: "head");
        var model = new Functional(x, head.Call(baseModel.Call(x)), name: "classifier");
        baseModel.Trainable = false;
        float[][] baseWeights = [.. baseModel.Parameters.Select(p => p.Value.ToArray())];
        float[] headKernel = head.Kernel.Value.ToArray();
        Tensor data = Tensor.RandomNormal(new TensorShape(16, 6), 7);
        var labels = new Tensor(16, 2);
        for (int i = 0; i < 16; i++)
        {
            labels[i, data[i, 0] > 0 ? 0 : 1] = 1f;
        }

        model.Compile(new Sgd(0.1f), new CategoricalCrossEntropy());
        model.Fit(data, labels, epochs: 1, batchSize: 4, verbose: 0, seed: 8);

        Assert.Equal(head.ParameterCount, model.TrainableParameterCount);
        for (int i = 0; i < baseWeights.Length; i++)
        {
            Assert.Equal(baseWeights[i], baseModel.Parameters[i].Value.ToArray());
        }

        Assert.NotEqual(headKernel, head.Kernel.Value.ToArray());
    }

    [Fact]
    public void Backward_ModelCalledOnTwoInputs_MatchesNumericalGradients()
    {
        // A nested model called twice (a siamese pair): its weights get the sum of both calls' gradients.
        Functional encoder = Encoder();
        var a = new Input(new TensorShape(6), "a");
        var b = new Input(new TensorShape(6), "b");
        SymbolicTensor joined = new Concatenate(name: "joined").Call(encoder.Call(a), encoder.Call(b));
        var model = new Functional([a, b], new Dense(2, ActivationFunction.Softmax, name: "out").Call(joined), name: "siamese", seed: 9);

        ModelGradientChecker.Check(model, [Tensor.RandomNormal(new TensorShape(3, 6), 10), Tensor.RandomNormal(new TensorShape(3, 6), 11)], seed: 12).AssertPassed();
    }

    [Fact]
    public void CallOutputs_ModelWithTwoOutputs_ReturnsBoth()
    {
        Functional siamese = FunctionalTests.Siamese();
        var a = new Input(new TensorShape(5), "left");
        var b = new Input(new TensorShape(5), "right");
        SymbolicTensor[] outputs = siamese.CallOutputs(a, b);
        var outer = new Functional([a, b], outputs, name: "outer");
        var (da, db, _, _) = FunctionalTests.SiameseData(4, 13);

        IReadOnlyList<Tensor> expected = siamese.PredictOutputs([da, db]);
        IReadOnlyList<Tensor> actual = outer.PredictOutputs([da, db]);

        Assert.Equal(2, outputs.Length);
        Assert.Equal(Bits(expected[0]), Bits(actual[0]));
        Assert.Equal(Bits(expected[1]), Bits(actual[1]));
        var e = Assert.Throws<InvalidOperationException>(() => siamese.Call(a, b));
        Assert.Contains("has 2 outputs; call CallOutputs", e.Message);
    }

    [Fact]
    public void Call_OnItsOwnInputs_ReturnsItsOutputs()
    {
        Functional encoder = Encoder();
        int calls = encoder.Layers[1].Nodes.Count;

        Assert.Same(encoder.Outputs[0], encoder.Call(encoder.Inputs[0]));
        Assert.Equal(calls, encoder.Layers[1].Nodes.Count);
    }

    [Fact]
    public void Call_WrongShapeOrCount_ThrowsNamingTheModelAndShapesAndRecordsNothing()
    {
        Functional encoder = Encoder();
        int calls = encoder.Layers[1].Nodes.Count;

        var e = Assert.Throws<ArgumentException>(() => encoder.Call(new Input(new TensorShape(7))));
        Assert.Contains("Model 'encoder' expects input 0 ('input_layer' (None, 6)) but was called on (None, 7)", e.Message);
        e = Assert.Throws<ArgumentException>(() => encoder.Call(new Input(new TensorShape(6)), new Input(new TensorShape(6))));
        Assert.Contains("takes 1 input(s)", e.Message);
        Assert.Equal(calls, encoder.Layers[1].Nodes.Count);
    }

    [Fact]
    public void Call_SequentialWithoutInputLayer_BuildsForTheTensor()
    {
        var block = new Sequential([new Dense(3, ActivationFunction.Relu), new Dense(2)], name: "block");
        var x = new Input(new TensorShape(4), "x");

        var model = new Functional(x, block.Call(x));

        Assert.True(block.IsBuilt);
        Assert.Equal(new TensorShape(4), block.InputShape);
        Tensor data = Tensor.RandomNormal(new TensorShape(3, 4), 14);
        Assert.Equal(Bits(block.Predict(data)), Bits(model.Predict(data)));
    }

    [Fact]
    public void SaveAndLoad_ModelWithANestedModel_LoadsAsOneGraphWithTheSamePredictions()
    {
        Functional autoencoder = Autoencoder(Encoder(), Decoder());
        Tensor x = Tensor.RandomNormal(new TensorShape(4, 6), 15);
        string path = Path.Combine(Path.GetTempPath(), $"nested-{Guid.NewGuid():N}.safetensors");
        try
        {
            autoencoder.Save(path);
            Functional loaded = Functional.Load(path);

            Assert.Equal(autoencoder.Layers.Select(l => l.Name), loaded.Layers.Select(l => l.Name));
            Assert.Equal(Bits(autoencoder.Predict(x)), Bits(loaded.Predict(x)));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SequentialAdd_TwoSequentials_ChainsTheirLayersAsAGan()
    {
        // Keras' GAN: gan = Sequential([generator, discriminator]); both name their layers dense, dense_1.
        var generator = new Sequential([new InputLayer(3), new Dense(5, ActivationFunction.Relu), new Dense(4)], name: "generator", seed: 1);
        var discriminator = new Sequential([new InputLayer(4), new Dense(5, ActivationFunction.Relu), new Dense(1, ActivationFunction.Sigmoid)], name: "discriminator", seed: 2);
        var gan = new Sequential(name: "gan");

        gan.Add(generator);
        gan.Add(discriminator);

        Assert.True(gan.IsBuilt);
        Assert.Equal(new TensorShape(3), gan.InputShape);
        Assert.Equal(["input_layer", "dense", "dense_1", "dense_2", "dense_3"], gan.Layers.Select(l => l.Name));
        Assert.Equal(["input_layer", "dense_2", "dense_3"], discriminator.Layers.Select(l => l.Name));
        Tensor noise = Tensor.RandomNormal(new TensorShape(6, 3), 16);
        Assert.Equal(Bits(discriminator.Predict(generator.Predict(noise))), Bits(gan.Predict(noise)));
    }

    [Fact]
    public void SequentialAdd_FrozenDiscriminator_TrainsOnlyTheGenerator()
    {
        var generator = new Sequential([new InputLayer(3), new Dense(4)], name: "generator", seed: 1);
        var discriminator = new Sequential([new InputLayer(4), new Dense(1, ActivationFunction.Sigmoid)], name: "discriminator", seed: 2);
        var gan = new Sequential(name: "gan");
        gan.Add(generator);
        gan.Add(discriminator);
        discriminator.Trainable = false;
        float[] discriminatorKernel = discriminator.Parameters[0].Value.ToArray();
        float[] generatorKernel = generator.Parameters[0].Value.ToArray();

        gan.Compile(new Adam(0.01f), new BinaryCrossEntropy());
        gan.Fit(Tensor.RandomNormal(new TensorShape(8, 3), 17), Tensor.Ones(8, 1), epochs: 1, batchSize: 4, verbose: 0, seed: 18);

        Assert.Equal(discriminatorKernel, discriminator.Parameters[0].Value.ToArray());
        Assert.NotEqual(generatorKernel, generator.Parameters[0].Value.ToArray());
    }

    [Fact]
    public void SequentialAdd_FunctionalChainAfterALayer_AppendsItsLayers()
    {
        Functional encoder = Encoder();
        var model = new Sequential([new InputLayer(6), new Dense(6, name: "pre")], name: "outer");

        model.Add(encoder);
        model.Add(new Dense(2, name: "post"));

        Assert.Equal(["input_layer", "pre", "dense", "dense_1", "post"], model.Layers.Select(l => l.Name));
        Assert.Same(encoder.Layers[2], model.Layers[3]);
    }

    [Fact]
    public void SequentialAdd_GraphThatIsNotAChain_ThrowsAndLeavesTheModelAsItWas()
    {
        Functional residual = FunctionalTests.ResidualMlp();
        var model = new Sequential([new InputLayer(6), new Dense(6, name: "pre")], name: "outer");

        var e = Assert.Throws<ArgumentException>(() => model.Add(residual));

        Assert.Contains("Model 'residual' is not a chain of layers", e.Message);
        Assert.Contains("residual.Call(x)", e.Message);
        Assert.Equal(2, model.Layers.Count);
    }

    [Fact]
    public void SequentialAdd_WrongInputShape_ThrowsAndLeavesBothModelsAsTheyWere()
    {
        Functional encoder = Encoder();
        var model = new Sequential([new InputLayer(5), new Dense(5, name: "dense")], name: "outer");
        int calls = encoder.Layers[1].Nodes.Count;

        var e = Assert.Throws<ArgumentException>(() => model.Add(encoder));

        Assert.Contains("Model 'encoder' expects input (None, 6) but the last layer of model 'outer' gives (None, 5)", e.Message);
        Assert.Equal(2, model.Layers.Count);
        Assert.Equal(["input_layer", "dense", "dense_1"], encoder.Layers.Select(l => l.Name));
        Assert.Equal(calls, encoder.Layers[1].Nodes.Count);
    }

    [Fact]
    public void SequentialAdd_ItselfOrALayerItHas_Throws()
    {
        var model = new Sequential([new InputLayer(4), new Dense(4)], name: "outer");
        Assert.Throws<ArgumentException>(() => model.Add(model));

        var other = new Sequential([new InputLayer(4), model.Layers[1]], name: "other");
        var e = Assert.Throws<ArgumentException>(() => model.Add(other));
        Assert.Contains("is already in model 'outer'", e.Message);
    }

    [Fact]
    public void SequentialAdd_ChainWithAFixedMode_ThrowsPointingToTheFunctionalApi()
    {
        var x0 = new Input(new TensorShape(4));
        var block = new Functional(x0, new Dropout(0.5, name: "drop").Call(x0, training: false), name: "block");
        var model = new Sequential([new InputLayer(4)], name: "outer");

        var e = Assert.Throws<ArgumentException>(() => model.Add(block));

        Assert.Contains("Model 'block' calls Dropout 'drop' with training: false, a mode a Sequential cannot keep", e.Message);
        Assert.Single(model.Layers);
    }

    [Fact]
    public void CallWithMode_ModelWithTwoOutputs_ThrowsAndRecordsNothing()
    {
        Functional siamese = FunctionalTests.Siamese();
        int calls = siamese.GetLayer("shared").Nodes.Count;
        var a = new Input(new TensorShape(5));

        Assert.Throws<InvalidOperationException>(() => siamese.Call(a, training: false));

        Assert.Equal(calls, siamese.GetLayer("shared").Nodes.Count);
    }

    [Fact]
    public void SequentialAdd_LayerRefusesItsShapeAfterTheRename_RestoresNamesBuildsAndLayers()
    {
        // The nested model is not built, so its shapes are only known when its layers are called: its dense (named "dense"
        // by it, as the outer model's own) is renamed, built and called, then the reshape refuses 3 values as 7. Everything
        // must be as before.
        var outer = new Sequential([new InputLayer(4), new Dense(4, name: "dense")], name: "outer");
        var nested = new Sequential([new Dense(3), new Reshape(7)], name: "nested");
        Layer dense = nested.Layers[0];
        Assert.Equal("dense", dense.Name);

        Assert.Throws<ArgumentException>(() => outer.Add(nested));

        Assert.Equal("dense", dense.Name);
        Assert.False(dense.IsBuilt);
        Assert.Empty(dense.Nodes);
        Assert.Equal(2, outer.Layers.Count);
        Assert.Equal(new TensorShape(4), outer.OutputShape);
        Tensor x = Tensor.Ones(2, 4);
        Assert.Equal(new TensorShape(2, 4), outer.Predict(x).Shape);
    }
}
