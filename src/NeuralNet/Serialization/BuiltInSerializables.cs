using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Optimizers;
using NeuralNet.Regularizers;
using NeuralNet.Training;

namespace NeuralNet.Serialization;

/// <summary>
/// Every built-in type under its Keras class name, with Keras' short aliases (<c>"relu"</c>, <c>"glorot_uniform"</c>,
/// <c>"categorical_crossentropy"</c>, <c>"accuracy"</c>) and the factory that creates it from its configuration.
/// A value a configuration leaves out takes the constructor's default.
/// </summary>
internal static class BuiltInSerializables
{
    public static void RegisterAll()
    {
        RegisterLayers();
        RegisterActivations();
        RegisterInitializers();
        RegisterRegularizers();
        RegisterOptimizers();
        RegisterLosses();
        SerializationRegistry.AddBuiltIn("Accuracy", _ => new Accuracy(), "accuracy", "acc");
    }

    private static void RegisterLayers()
    {
        SerializationRegistry.AddBuiltIn("InputLayer", InputLayer.FromConfig);
        SerializationRegistry.AddBuiltIn("Dense", Dense.FromConfig);
        SerializationRegistry.AddBuiltIn("Dropout", Dropout.FromConfig);
        SerializationRegistry.AddBuiltIn("Flatten", Flatten.FromConfig);
        SerializationRegistry.AddBuiltIn("Activation", Activation.FromConfig);
        SerializationRegistry.AddBuiltIn("Conv2D", Conv2D.FromConfig);
        SerializationRegistry.AddBuiltIn("MaxPooling2D", MaxPooling2D.FromConfig);
        SerializationRegistry.AddBuiltIn("AveragePooling2D", AveragePooling2D.FromConfig);
        SerializationRegistry.AddBuiltIn("GlobalAveragePooling2D", GlobalAveragePooling2D.FromConfig);
        SerializationRegistry.AddBuiltIn("BatchNormalization", BatchNormalization.FromConfig);
        SerializationRegistry.AddBuiltIn("Add", Add.FromConfig);
        SerializationRegistry.AddBuiltIn("Subtract", Subtract.FromConfig);
        SerializationRegistry.AddBuiltIn("Multiply", Multiply.FromConfig);
        SerializationRegistry.AddBuiltIn("Average", Average.FromConfig);
        SerializationRegistry.AddBuiltIn("Maximum", Maximum.FromConfig);
        SerializationRegistry.AddBuiltIn("Minimum", Minimum.FromConfig);
        SerializationRegistry.AddBuiltIn("Concatenate", Concatenate.FromConfig);
        SerializationRegistry.AddBuiltIn("Dot", Dot.FromConfig);
        SerializationRegistry.AddBuiltIn("Reshape", Reshape.FromConfig);
        SerializationRegistry.AddBuiltIn("Permute", Permute.FromConfig);
        SerializationRegistry.AddBuiltIn("RepeatVector", RepeatVector.FromConfig);
        SerializationRegistry.AddBuiltIn("Identity", Identity.FromConfig);
    }

    private static void RegisterActivations()
    {
        SerializationRegistry.AddBuiltIn("Linear", _ => (Linear)ActivationFunction.Linear, "linear");
        SerializationRegistry.AddBuiltIn("ReLU", _ => (Relu)ActivationFunction.Relu, "relu");
        SerializationRegistry.AddBuiltIn("Sigmoid", _ => (Sigmoid)ActivationFunction.Sigmoid, "sigmoid");
        SerializationRegistry.AddBuiltIn("Tanh", _ => (Tanh)ActivationFunction.Tanh, "tanh");
        SerializationRegistry.AddBuiltIn("Softmax", _ => (Softmax)ActivationFunction.Softmax, "softmax");
        SerializationRegistry.AddBuiltIn("LeakyReLU", c => c.Contains("negative_slope") ? new LeakyRelu(c.GetSingle("negative_slope")) : new LeakyRelu(), "leaky_relu");
        SerializationRegistry.AddBuiltIn("ELU", c => c.Contains("alpha") ? new Elu(c.GetSingle("alpha")) : new Elu(), "elu");
        SerializationRegistry.AddBuiltIn("GELU", c => new Gelu(c.GetBoolean("approximate", false)), "gelu");
    }

    private static void RegisterInitializers()
    {
        SerializationRegistry.AddBuiltIn("Zeros", _ => Zeros.Instance, "zeros");
        SerializationRegistry.AddBuiltIn("Ones", _ => new Ones(), "ones");
        SerializationRegistry.AddBuiltIn("Constant", c => new Constant(c.GetSingle("value", 0f)), "constant");
        SerializationRegistry.AddBuiltIn("RandomNormal", c => c.Count == 0 ? new Initializers.RandomNormal()
            : new Initializers.RandomNormal(c.GetDouble("mean", 0.0), c.GetDouble("stddev", 0.05), c.GetNullableInt64("seed")), "random_normal");
        SerializationRegistry.AddBuiltIn("RandomUniform", c => c.Count == 0 ? new Initializers.RandomUniform()
            : new Initializers.RandomUniform(c.GetDouble("minval", -0.05), c.GetDouble("maxval", 0.05), c.GetNullableInt64("seed")), "random_uniform");
        SerializationRegistry.AddBuiltIn("GlorotUniform", c => new GlorotUniform(c.GetNullableInt64("seed")), "glorot_uniform");
        SerializationRegistry.AddBuiltIn("GlorotNormal", c => new GlorotNormal(c.GetNullableInt64("seed")), "glorot_normal");
        SerializationRegistry.AddBuiltIn("HeUniform", c => new HeUniform(c.GetNullableInt64("seed")), "he_uniform");
        SerializationRegistry.AddBuiltIn("HeNormal", c => new HeNormal(c.GetNullableInt64("seed")), "he_normal");
        SerializationRegistry.AddBuiltIn("LecunNormal", c => new LeCunNormal(c.GetNullableInt64("seed")), "lecun_normal");
    }

    private static void RegisterRegularizers()
    {
        SerializationRegistry.AddBuiltIn("L1", c => c.Contains("l1") ? new L1(c.GetSingle("l1")) : new L1(), "l1");
        SerializationRegistry.AddBuiltIn("L2", c => c.Contains("l2") ? new L2(c.GetSingle("l2")) : new L2(), "l2");
        SerializationRegistry.AddBuiltIn("L1L2", c => new L1L2(c.GetSingle("l1", 0f), c.GetSingle("l2", 0f)), "l1_l2");
    }

    private static void RegisterOptimizers()
    {
        SerializationRegistry.AddBuiltIn("SGD", c => (Sgd)new Sgd(
            Read(c, "learning_rate", 0.01f), Read(c, "momentum", 0f), c.GetBoolean("nesterov", false)).ReadClipping(c), "sgd");
        SerializationRegistry.AddBuiltIn("Adam", c => (Adam)new Adam(
            Read(c, "learning_rate", 0.001f), Read(c, "beta_1", 0.9f), Read(c, "beta_2", 0.999f), Read(c, "epsilon", 1e-7f)).ReadClipping(c), "adam");
        SerializationRegistry.AddBuiltIn("RMSprop", c => (RmsProp)new RmsProp(
            Read(c, "learning_rate", 0.001f), Read(c, "rho", 0.9f), Read(c, "momentum", 0f), Read(c, "epsilon", 1e-7f), c.GetBoolean("centered", false)).ReadClipping(c), "rmsprop");
    }

    private static void RegisterLosses()
    {
        SerializationRegistry.AddBuiltIn("CategoricalCrossentropy", c => new CategoricalCrossEntropy(c.GetBoolean("from_logits", false)), "categorical_crossentropy");
        SerializationRegistry.AddBuiltIn("SparseCategoricalCrossentropy", c => new SparseCategoricalCrossEntropy(c.GetBoolean("from_logits", false)), "sparse_categorical_crossentropy");
        SerializationRegistry.AddBuiltIn("BinaryCrossentropy", c => new BinaryCrossEntropy(c.GetBoolean("from_logits", false)), "binary_crossentropy");
        SerializationRegistry.AddBuiltIn("MeanSquaredError", _ => new MeanSquaredError(), "mean_squared_error", "mse");
    }

    private static float Read(Config config, string key, float fallback) => config.GetSingle(key, fallback);
}
