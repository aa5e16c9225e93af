using System.Text.Json.Nodes;
using NeuralNet.Activations;
using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Optimizers;
using NeuralNet.Preprocessing;
using NeuralNet.Regularizers;
using NeuralNet.Training;

namespace NeuralNet.Serialization;

/// <summary>
/// Every built-in type under its Keras class name, with Keras' short aliases (<c>"relu"</c>, <c>"glorot_uniform"</c>,
/// <c>"categorical_crossentropy"</c>, <c>"accuracy"</c>) and the factory that creates it from its configuration.
/// A value a configuration leaves out takes the constructor's default, read from a default instance's configuration
/// (<see cref="Config.WithDefaults"/>), so the defaults are written once, in the constructors.
/// </summary>
internal static class BuiltInSerializables
{
    public static void RegisterAll()
    {
        RegisterLayers();
        RegisterActivations();
        RegisterInitializers();
        RegisterRegularizers();
        BuiltInConstraints.Register();
        RegisterOptimizers();
        RegisterLosses();
        SerializationRegistry.AddBuiltIn("TextVectorization", TextVectorization.FromConfig);
        SerializationRegistry.AddBuiltIn("StringLookup", StringLookup.FromConfig);
        SerializationRegistry.AddBuiltIn("Hashing", StringHashing.FromConfig);
        SerializationRegistry.AddBuiltIn("HashedCrossing", StringHashedCrossing.FromConfig);
        SerializationRegistry.AddBuiltIn("Accuracy", _ => new Accuracy(), "accuracy", "acc");
        SerializationRegistry.AddBuiltIn("BinaryAccuracy", c => new BinaryAccuracy(c.GetDouble("threshold", 0.5)), "binary_accuracy");
        SerializationRegistry.AddBuiltIn("CategoricalAccuracy", _ => new CategoricalAccuracy(), "categorical_accuracy");
        SerializationRegistry.AddBuiltIn("SparseCategoricalAccuracy", _ => new SparseCategoricalAccuracy(), "sparse_categorical_accuracy");
        SerializationRegistry.AddBuiltIn("TopKCategoricalAccuracy", c => new TopKCategoricalAccuracy(c.GetInt32("k", 5, minimum: 1), c.GetBoolean("sparse", false)), "top_k_categorical_accuracy");
        SerializationRegistry.AddBuiltIn("SparseTopKCategoricalAccuracy", c => new SparseTopKCategoricalAccuracy(c.GetInt32("k", 5, minimum: 1), c.GetBoolean("from_sorted_ids", false)), "sparse_top_k_categorical_accuracy");
        SerializationRegistry.AddBuiltIn("Precision", c => Thresholds(c) is (double[] list, _)
            ? new Precision(list, ClassId(c), TopK(c))
            : new Precision(Thresholds(c).One, ClassId(c), TopK(c)), "precision");
        SerializationRegistry.AddBuiltIn("Recall", c => Thresholds(c) is (double[] list, _)
            ? new Recall(list, ClassId(c), TopK(c))
            : new Recall(Thresholds(c).One, ClassId(c), TopK(c)), "recall");
        SerializationRegistry.AddBuiltIn("AUC", Auc.FromConfig, "auc");
        SerializationRegistry.AddBuiltIn("MeanAbsoluteError", _ => new MeanAbsoluteErrorMetric(), "mae", "mean_absolute_error");
        SerializationRegistry.AddBuiltIn("MeanSquaredError", _ => new MeanSquaredErrorMetric(), "mse", "mean_squared_error");
        // Keras' metrics.get / deserialize find every metric class by its snake-case name too (ALL_OBJECTS_DICT).
        SerializationRegistry.AddBuiltIn("Mean", _ => new Mean(), "mean");
        SerializationRegistry.AddBuiltIn("Sum", _ => new Sum(), "sum");
        SerializationRegistry.AddBuiltIn("FBetaScore", c => new FBetaScore(ReadAverage(c), c.GetDouble("beta", 1.0), c.GetNode("threshold") is null ? null : c.GetDouble("threshold")), "fbeta_score");
        SerializationRegistry.AddBuiltIn("F1Score", c => new F1Score(ReadAverage(c), c.GetNode("threshold") is null ? null : c.GetDouble("threshold")), "f1_score");
        SerializationRegistry.AddBuiltIn("R2Score", R2Score.FromConfig, "r2_score");
        SerializationRegistry.AddBuiltIn("PearsonCorrelation", c => new PearsonCorrelation(c.GetInt32("axis", -1)), "pearson_correlation");
        SerializationRegistry.AddBuiltIn("ConcordanceCorrelation", c => new ConcordanceCorrelation(c.GetInt32("axis", -1)), "concordance_correlation");
        SerializationRegistry.AddBuiltIn("RootMeanSquaredError", _ => new RootMeanSquaredError(), "root_mean_squared_error", "rmse");
        RegisterLossMetrics();
        RegisterConfusionMetrics();

        // No identifier: like Keras' "MeanIoU", the metric cannot be made without its number of classes.
        SerializationRegistry.AddBuiltIn("MeanIoU", c =>
        {
            Config d = LastAxis(c);
            return new MeanIoU(
                d.GetInt32("num_classes"),
                d.GetNullableInt64("ignore_class") is long ignored ? checked((int)ignored) : null,
                d.GetBoolean("sparse_y_true", true),
                d.GetBoolean("sparse_y_pred", true));
        });
        SerializationRegistry.AddBuiltIn("IoU", c => new IoU(
            LastAxis(c).GetInt32("num_classes"), TargetClassIds(c), IgnoreClass(c), c.GetBoolean("sparse_y_true", true), c.GetBoolean("sparse_y_pred", true)));
        SerializationRegistry.AddBuiltIn("OneHotIoU", c => new OneHotIoU(LastAxis(c).GetInt32("num_classes"), TargetClassIds(c), IgnoreClass(c), c.GetBoolean("sparse_y_pred", false)));
        SerializationRegistry.AddBuiltIn("OneHotMeanIoU", c => new OneHotMeanIoU(LastAxis(c).GetInt32("num_classes"), IgnoreClass(c), c.GetBoolean("sparse_y_pred", false)));
        SerializationRegistry.AddBuiltIn("BinaryIoU", c => new BinaryIoU(c.Contains("target_class_ids") ? TargetClassIds(c) : null, c.GetDouble("threshold", 0.5)), "binary_io_u");
    }

    // Keras' MeanMetricWrapper metrics over a loss: class name, snake-case name and Keras' short aliases (metrics/__init__.py).
    private static void RegisterLossMetrics()
    {
        SerializationRegistry.AddBuiltIn("MeanAbsolutePercentageError", _ => new MeanAbsolutePercentageErrorMetric(), "mean_absolute_percentage_error", "mape", "MAPE");
        SerializationRegistry.AddBuiltIn("MeanSquaredLogarithmicError", _ => new MeanSquaredLogarithmicErrorMetric(), "mean_squared_logarithmic_error", "msle", "MSLE");
        SerializationRegistry.AddBuiltIn("CosineSimilarity", c =>
        {
            LastAxis(c);
            return new CosineSimilarityMetric();
        }, "cosine_similarity");
        SerializationRegistry.AddBuiltIn("LogCoshError", _ => new LogCoshError(), "log_cosh_error");
        SerializationRegistry.AddBuiltIn("KLDivergence", _ => new KLDivergenceMetric(), "kl_divergence");
        SerializationRegistry.AddBuiltIn("Poisson", _ => new PoissonMetric(), "poisson");
        SerializationRegistry.AddBuiltIn("Hinge", _ => new HingeMetric(), "hinge");
        SerializationRegistry.AddBuiltIn("SquaredHinge", _ => new SquaredHingeMetric(), "squared_hinge");
        SerializationRegistry.AddBuiltIn("CategoricalHinge", _ => new CategoricalHingeMetric(), "categorical_hinge");
        SerializationRegistry.AddBuiltIn("BinaryCrossentropy", c => new BinaryCrossEntropyMetric(c.GetBoolean("from_logits", false), c.GetDouble("label_smoothing", 0)), "binary_crossentropy", "bce", "BCE");
        SerializationRegistry.AddBuiltIn("CategoricalCrossentropy", c => new CategoricalCrossEntropyMetric(c.GetBoolean("from_logits", false), c.GetDouble("label_smoothing", 0), LossAxis(c)), "categorical_crossentropy");
        SerializationRegistry.AddBuiltIn("SparseCategoricalCrossentropy", c => new SparseCategoricalCrossEntropyMetric(
            LastAxis(c).GetBoolean("from_logits", false), c.GetNullableInt64("ignore_class") is long ignored ? checked((int)ignored) : null), "sparse_categorical_crossentropy");
    }

    // Keras' confusion-count metrics (one threshold here) and its SensitivitySpecificityBase metrics, which have no
    // identifier: like Keras' "precision_at_recall", they cannot be made without their required value.
    private static void RegisterConfusionMetrics()
    {
        SerializationRegistry.AddBuiltIn("TruePositives", c => Thresholds(c) is (double[] list, _) ? new TruePositives(list) : new TruePositives(Thresholds(c).One), "true_positives");
        SerializationRegistry.AddBuiltIn("FalsePositives", c => Thresholds(c) is (double[] list, _) ? new FalsePositives(list) : new FalsePositives(Thresholds(c).One), "false_positives");
        SerializationRegistry.AddBuiltIn("TrueNegatives", c => Thresholds(c) is (double[] list, _) ? new TrueNegatives(list) : new TrueNegatives(Thresholds(c).One), "true_negatives");
        SerializationRegistry.AddBuiltIn("FalseNegatives", c => Thresholds(c) is (double[] list, _) ? new FalseNegatives(list) : new FalseNegatives(Thresholds(c).One), "false_negatives");
        SerializationRegistry.AddBuiltIn("SensitivityAtSpecificity", c => new SensitivityAtSpecificity(c.GetDouble("specificity"), c.GetInt32("num_thresholds", 200), ClassId(c)));
        SerializationRegistry.AddBuiltIn("SpecificityAtSensitivity", c => new SpecificityAtSensitivity(c.GetDouble("sensitivity"), c.GetInt32("num_thresholds", 200), ClassId(c)));
        SerializationRegistry.AddBuiltIn("PrecisionAtRecall", c => new PrecisionAtRecall(c.GetDouble("recall"), c.GetInt32("num_thresholds", 200), ClassId(c)));
        SerializationRegistry.AddBuiltIn("RecallAtPrecision", c => new RecallAtPrecision(c.GetDouble("precision"), c.GetInt32("num_thresholds", 200), ClassId(c)));
    }

    private static int[] TargetClassIds(Config c) => c.GetInt32Array("target_class_ids", 4096);

    private static int? IgnoreClass(Config c) => c.GetNullableInt64("ignore_class") is long ignored ? checked((int)ignored) : null;

    private static int? ClassId(Config c) => c.GetNullableInt64("class_id") is long id ? checked((int)id) : null;

    private static int? TopK(Config c) => c.GetNullableInt64("top_k") is long k ? checked((int)k) : null;

    // Keras' "thresholds" (its init_thresholds): null or absent (the metric's default), one number, or a list of numbers,
    // kept as given so that the metric writes them back the same way. Files written before lists were read hold a number.
    private static (double[]? List, double? One) Thresholds(Config c) => c.GetNode("thresholds") switch
    {
        null => (null, null),
        JsonArray => (c.GetDoubleArray("thresholds"), null),
        _ => (null, c.GetDouble("thresholds")),
    };

    private static void RegisterLayers()
    {
        SerializationRegistry.AddBuiltIn("InputLayer", InputLayer.FromConfig);
        SerializationRegistry.AddBuiltIn("Dense", Dense.FromConfig);
        SerializationRegistry.AddBuiltIn("EinsumDense", EinsumDense.FromConfig);
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
        SerializationRegistry.AddBuiltIn("Divide", Divide.FromConfig);
        SerializationRegistry.AddBuiltIn("Multiply", Multiply.FromConfig);
        SerializationRegistry.AddBuiltIn("Average", Average.FromConfig);
        SerializationRegistry.AddBuiltIn("Maximum", Maximum.FromConfig);
        SerializationRegistry.AddBuiltIn("Minimum", Minimum.FromConfig);
        SerializationRegistry.AddBuiltIn("Concatenate", Concatenate.FromConfig);
        SerializationRegistry.AddBuiltIn("Dot", Dot.FromConfig);
        SerializationRegistry.AddBuiltIn("MatMul", MatMul.FromConfig);
        SerializationRegistry.AddBuiltIn("Stack", Stack.FromConfig);
        SerializationRegistry.AddBuiltIn("Where", Where.FromConfig);
        SerializationRegistry.AddBuiltIn("Comparison", Comparison.FromConfig);
        SerializationRegistry.AddBuiltIn("Split", Split.FromConfig);
        SerializationRegistry.AddBuiltIn("Unstack", Unstack.FromConfig);
        SerializationRegistry.AddBuiltIn("Reshape", Reshape.FromConfig);
        SerializationRegistry.AddBuiltIn("Permute", Permute.FromConfig);
        SerializationRegistry.AddBuiltIn("DepthToSpace", DepthToSpace.FromConfig);
        SerializationRegistry.AddBuiltIn("SpaceToDepth", SpaceToDepth.FromConfig);
        SerializationRegistry.AddBuiltIn("ScalarArithmetic", ScalarArithmetic.FromConfig);
        SerializationRegistry.AddBuiltIn("ElementwiseMath", ElementwiseMath.FromConfig);
        SerializationRegistry.AddBuiltIn("Clip", Clip.FromConfig);
        SerializationRegistry.AddBuiltIn("Reduce", Reduce.FromConfig);
        SerializationRegistry.AddBuiltIn("Take", Take.FromConfig);
        SerializationRegistry.AddBuiltIn("TakeAlongAxis", TakeAlongAxis.FromConfig);
        SerializationRegistry.AddBuiltIn("SegmentSum", SegmentSum.FromConfig);
        SerializationRegistry.AddBuiltIn("SegmentMax", SegmentMax.FromConfig);
        SerializationRegistry.AddBuiltIn("RepeatVector", RepeatVector.FromConfig);
        SerializationRegistry.AddBuiltIn("Identity", Identity.FromConfig);
        SerializationRegistry.AddBuiltIn("Lambda", Lambda.FromConfig);
        SerializationRegistry.AddBuiltIn("Embedding", Embedding.FromConfig);
        SerializationRegistry.AddBuiltIn("ReversibleEmbedding", ReversibleEmbedding.FromConfig);
        SerializationRegistry.AddBuiltIn("Masking", Masking.FromConfig);
        SerializationRegistry.AddBuiltIn("Bidirectional", Bidirectional.FromConfig);
        SerializationRegistry.AddBuiltIn("TimeDistributed", TimeDistributed.FromConfig);
        SerializationRegistry.AddBuiltIn("Pipeline", Pipeline.FromConfig);
        SerializationRegistry.AddBuiltIn("SpectralNormalization", SpectralNormalization.FromConfig);
        SerializationRegistry.AddBuiltIn("SimpleRNN", SimpleRnn.FromConfig);
        SerializationRegistry.AddBuiltIn("LSTM", Lstm.FromConfig);
        SerializationRegistry.AddBuiltIn("RNN", Rnn.FromConfig);
        SerializationRegistry.AddBuiltIn("SimpleRNNCell", SimpleRnnCell.FromConfig);
        SerializationRegistry.AddBuiltIn("LSTMCell", LstmCell.FromConfig);
        SerializationRegistry.AddBuiltIn("GRUCell", GruCell.FromConfig);
        SerializationRegistry.AddBuiltIn("StackedRNNCells", StackedRnnCells.FromConfig);
        SerializationRegistry.AddBuiltIn("ConvLSTM1D", ConvLstm1D.FromConfig);
        SerializationRegistry.AddBuiltIn("ConvLSTM2D", ConvLstm2D.FromConfig);
        SerializationRegistry.AddBuiltIn("ConvLSTM3D", ConvLstm3D.FromConfig);
        SerializationRegistry.AddBuiltIn("GRU", Gru.FromConfig);
        SerializationRegistry.AddBuiltIn("Conv1D", Conv1D.FromConfig);
        SerializationRegistry.AddBuiltIn("MaxPooling1D", MaxPooling1D.FromConfig);
        SerializationRegistry.AddBuiltIn("AveragePooling1D", AveragePooling1D.FromConfig);
        SerializationRegistry.AddBuiltIn("GlobalMaxPooling1D", GlobalMaxPooling1D.FromConfig);
        SerializationRegistry.AddBuiltIn("GlobalAveragePooling1D", GlobalAveragePooling1D.FromConfig);
        SerializationRegistry.AddBuiltIn("GlobalMaxPooling2D", GlobalMaxPooling2D.FromConfig);
        SerializationRegistry.AddBuiltIn("MultiHeadAttention", MultiHeadAttention.FromConfig);
        SerializationRegistry.AddBuiltIn("GroupedQueryAttention", GroupedQueryAttention.FromConfig, "GroupQueryAttention");
        SerializationRegistry.AddBuiltIn("Attention", Attention.FromConfig);
        SerializationRegistry.AddBuiltIn("AdditiveAttention", AdditiveAttention.FromConfig);
        SerializationRegistry.AddBuiltIn("SpatialDropout1D", SpatialDropout1D.FromConfig);
        SerializationRegistry.AddBuiltIn("SpatialDropout2D", SpatialDropout2D.FromConfig);
        SerializationRegistry.AddBuiltIn("SpatialDropout3D", SpatialDropout3D.FromConfig);
        SerializationRegistry.AddBuiltIn("GaussianNoise", GaussianNoise.FromConfig);
        SerializationRegistry.AddBuiltIn("GaussianDropout", GaussianDropout.FromConfig);
        SerializationRegistry.AddBuiltIn("AlphaDropout", AlphaDropout.FromConfig);
        SerializationRegistry.AddBuiltIn("Conv2DTranspose", Conv2DTranspose.FromConfig);
        SerializationRegistry.AddBuiltIn("DepthwiseConv2D", DepthwiseConv2D.FromConfig);
        SerializationRegistry.AddBuiltIn("SeparableConv2D", SeparableConv2D.FromConfig);
        SerializationRegistry.AddBuiltIn("DepthwiseConv1D", DepthwiseConv1D.FromConfig);
        SerializationRegistry.AddBuiltIn("SeparableConv1D", SeparableConv1D.FromConfig);
        SerializationRegistry.AddBuiltIn("Conv1DTranspose", Conv1DTranspose.FromConfig);
        SerializationRegistry.AddBuiltIn("UpSampling2D", UpSampling2D.FromConfig);
        SerializationRegistry.AddBuiltIn("ZeroPadding2D", ZeroPadding2D.FromConfig);
        SerializationRegistry.AddBuiltIn("Cropping2D", Cropping2D.FromConfig);
        SerializationRegistry.AddBuiltIn("ZeroPadding1D", ZeroPadding1D.FromConfig);
        SerializationRegistry.AddBuiltIn("Cropping1D", Cropping1D.FromConfig);
        SerializationRegistry.AddBuiltIn("UpSampling1D", UpSampling1D.FromConfig);
        SerializationRegistry.AddBuiltIn("Conv3D", Conv3D.FromConfig);
        SerializationRegistry.AddBuiltIn("RMSNormalization", RMSNormalization.FromConfig);
        SerializationRegistry.AddBuiltIn("Conv3DTranspose", Conv3DTranspose.FromConfig);
        SerializationRegistry.AddBuiltIn("MaxPooling3D", MaxPooling3D.FromConfig);
        SerializationRegistry.AddBuiltIn("AveragePooling3D", AveragePooling3D.FromConfig);
        SerializationRegistry.AddBuiltIn("GlobalMaxPooling3D", GlobalMaxPooling3D.FromConfig);
        SerializationRegistry.AddBuiltIn("GlobalAveragePooling3D", GlobalAveragePooling3D.FromConfig);
        SerializationRegistry.AddBuiltIn("AdaptiveAveragePooling1D", AdaptiveAveragePooling1D.FromConfig);
        SerializationRegistry.AddBuiltIn("AdaptiveAveragePooling2D", AdaptiveAveragePooling2D.FromConfig);
        SerializationRegistry.AddBuiltIn("AdaptiveAveragePooling3D", AdaptiveAveragePooling3D.FromConfig);
        SerializationRegistry.AddBuiltIn("AdaptiveMaxPooling1D", AdaptiveMaxPooling1D.FromConfig);
        SerializationRegistry.AddBuiltIn("AdaptiveMaxPooling2D", AdaptiveMaxPooling2D.FromConfig);
        SerializationRegistry.AddBuiltIn("AdaptiveMaxPooling3D", AdaptiveMaxPooling3D.FromConfig);
        SerializationRegistry.AddBuiltIn("UpSampling3D", UpSampling3D.FromConfig);
        SerializationRegistry.AddBuiltIn("ZeroPadding3D", ZeroPadding3D.FromConfig);
        SerializationRegistry.AddBuiltIn("Cropping3D", Cropping3D.FromConfig);
        SerializationRegistry.AddBuiltIn("ActivityRegularization", ActivityRegularization.FromConfig);
        SerializationRegistry.AddBuiltIn("RandomFlip", RandomFlip.FromConfig);
        SerializationRegistry.AddBuiltIn("RandomRotation", RandomRotation.FromConfig);
        SerializationRegistry.AddBuiltIn("RandomZoom", RandomZoom.FromConfig);
        SerializationRegistry.AddBuiltIn("RandomTranslation", RandomTranslation.FromConfig);
        SerializationRegistry.AddBuiltIn("RandomCrop", RandomCrop.FromConfig);
        SerializationRegistry.AddBuiltIn("RandomContrast", RandomContrast.FromConfig);
        SerializationRegistry.AddBuiltIn("RandomBrightness", RandomBrightness.FromConfig);
        SerializationRegistry.AddBuiltIn("RandomGrayscale", RandomGrayscale.FromConfig);
        SerializationRegistry.AddBuiltIn("RandomSaturation", RandomSaturation.FromConfig);
        SerializationRegistry.AddBuiltIn("RandomHue", RandomHue.FromConfig);
        SerializationRegistry.AddBuiltIn("RandomColorDegeneration", RandomColorDegeneration.FromConfig);
        SerializationRegistry.AddBuiltIn("RandomInvert", RandomInvert.FromConfig);
        SerializationRegistry.AddBuiltIn("Solarization", Solarization.FromConfig);
        SerializationRegistry.AddBuiltIn("RandomPosterization", RandomPosterization.FromConfig);
        SerializationRegistry.AddBuiltIn("RandomSharpness", RandomSharpness.FromConfig);
        SerializationRegistry.AddBuiltIn("RandomErasing", RandomErasing.FromConfig);
        SerializationRegistry.AddBuiltIn("RandomGaussianBlur", RandomGaussianBlur.FromConfig);
        SerializationRegistry.AddBuiltIn("RandomColorJitter", RandomColorJitter.FromConfig);
        SerializationRegistry.AddBuiltIn("RandAugment", RandAugment.FromConfig);
        SerializationRegistry.AddBuiltIn("AugMix", AugMix.FromConfig);
        SerializationRegistry.AddBuiltIn("MixUp", MixUp.FromConfig);
        SerializationRegistry.AddBuiltIn("CutMix", CutMix.FromConfig);
        SerializationRegistry.AddBuiltIn("AutoContrast", AutoContrast.FromConfig);
        SerializationRegistry.AddBuiltIn("RandomShear", RandomShear.FromConfig);
        SerializationRegistry.AddBuiltIn("RandomPerspective", RandomPerspective.FromConfig);
        SerializationRegistry.AddBuiltIn("RandomElasticTransform", RandomElasticTransform.FromConfig);
        SerializationRegistry.AddBuiltIn("Equalization", Equalization.FromConfig);
        SerializationRegistry.AddBuiltIn("Resizing", Resizing.FromConfig);
        SerializationRegistry.AddBuiltIn("CenterCrop", CenterCrop.FromConfig);
        SerializationRegistry.AddBuiltIn("LayerNormalization", LayerNormalization.FromConfig);
        SerializationRegistry.AddBuiltIn("GroupNormalization", GroupNormalization.FromConfig);
        SerializationRegistry.AddBuiltIn("UnitNormalization", UnitNormalization.FromConfig);
        SerializationRegistry.AddBuiltIn("ReLU", ReLU.FromConfig);
        SerializationRegistry.AddBuiltIn("LeakyReLU", LeakyReLU.FromConfig);
        SerializationRegistry.AddBuiltIn("PReLU", PReLU.FromConfig);
        SerializationRegistry.AddBuiltIn("LayerScale", LayerScale.FromConfig);
        SerializationRegistry.AddBuiltIn("StochasticDepth", StochasticDepth.FromConfig);
        SerializationRegistry.AddBuiltIn("PositionEmbedding", PositionEmbedding.FromConfig);
        SerializationRegistry.AddBuiltIn("ELU", ELU.FromConfig);
        SerializationRegistry.AddBuiltIn("Softmax", Layers.Softmax.FromConfig);
        SerializationRegistry.AddBuiltIn("LogSoftmax", Layers.LogSoftmax.FromConfig);
        SerializationRegistry.AddBuiltIn("Normalization", Layers.Normalization.FromConfig);
        SerializationRegistry.AddBuiltIn("Rescaling", Rescaling.FromConfig);
        SerializationRegistry.AddBuiltIn("STFTSpectrogram", StftSpectrogram.FromConfig);
        SerializationRegistry.AddBuiltIn("MelSpectrogram", MelSpectrogram.FromConfig);
        SerializationRegistry.AddBuiltIn("CategoryEncoding", CategoryEncoding.FromConfig);
        SerializationRegistry.AddBuiltIn("Discretization", Discretization.FromConfig);
        SerializationRegistry.AddBuiltIn("IntegerLookup", IntegerLookup.FromConfig);
        SerializationRegistry.AddBuiltIn("Hashing", Hashing.FromConfig);
        SerializationRegistry.AddBuiltIn("HashedCrossing", HashedCrossing.FromConfig);
    }

    private static void RegisterActivations()
    {
        SerializationRegistry.AddBuiltIn("Linear", _ => (Linear)ActivationFunction.Linear, "linear");
        SerializationRegistry.AddBuiltIn("ReLU", _ => (Relu)ActivationFunction.Relu, "relu");
        SerializationRegistry.AddBuiltIn("Sigmoid", _ => (Sigmoid)ActivationFunction.Sigmoid, "sigmoid");
        SerializationRegistry.AddBuiltIn("Tanh", _ => (Tanh)ActivationFunction.Tanh, "tanh");
        SerializationRegistry.AddBuiltIn("Softmax", _ => (Activations.Softmax)ActivationFunction.Softmax, "softmax");
        SerializationRegistry.AddBuiltIn("LeakyReLU", c => new LeakyRelu(Defaults(c, new LeakyRelu()).GetSingle("negative_slope")), "leaky_relu");
        SerializationRegistry.AddBuiltIn("ELU", c => new Elu(Defaults(c, new Elu()).GetSingle("alpha")), "elu");
        SerializationRegistry.AddBuiltIn("GELU", c => new Gelu(Defaults(c, new Gelu()).GetBoolean("approximate")), "gelu");
        SerializationRegistry.AddBuiltIn("SELU", _ => (Selu)ActivationFunction.Selu, "selu");
        SerializationRegistry.AddBuiltIn("Softplus", _ => (Softplus)ActivationFunction.Softplus, "softplus");
        SerializationRegistry.AddBuiltIn("Softsign", _ => (Softsign)ActivationFunction.Softsign, "softsign");
        SerializationRegistry.AddBuiltIn("SiLU", _ => (Silu)ActivationFunction.Silu, "silu", "swish");
        SerializationRegistry.AddBuiltIn("HardSigmoid", _ => (HardSigmoid)ActivationFunction.HardSigmoid, "hard_sigmoid");
        SerializationRegistry.AddBuiltIn("HardSiLU", _ => (HardSilu)ActivationFunction.HardSilu, "hard_silu", "hard_swish");
        SerializationRegistry.AddBuiltIn("Mish", _ => (Mish)ActivationFunction.Mish, "mish");
        SerializationRegistry.AddBuiltIn("ReLU6", _ => (Relu6)ActivationFunction.Relu6, "relu6");
        SerializationRegistry.AddBuiltIn("Exponential", _ => (Exponential)ActivationFunction.Exponential, "exponential");
        SerializationRegistry.AddBuiltIn("LogSoftmax", _ => (Activations.LogSoftmax)ActivationFunction.LogSoftmax, "log_softmax");
    }

    private static void RegisterInitializers()
    {
        SerializationRegistry.AddBuiltIn("Zeros", _ => Zeros.Instance, "zeros", "zero");
        SerializationRegistry.AddBuiltIn("Ones", _ => new Ones(), "ones", "one");
        SerializationRegistry.AddBuiltIn("Constant", Constant.FromConfig, "constant");
        SerializationRegistry.AddBuiltIn("RandomNormal", c =>
        {
            Config d = Defaults(c, new Initializers.RandomNormal());
            return new Initializers.RandomNormal(d.GetDouble("mean"), d.GetDouble("stddev"), d.GetNullableInt64("seed"));
        }, "random_normal", "normal");
        SerializationRegistry.AddBuiltIn("RandomUniform", c =>
        {
            Config d = Defaults(c, new Initializers.RandomUniform());
            return new Initializers.RandomUniform(d.GetDouble("minval"), d.GetDouble("maxval"), d.GetNullableInt64("seed"));
        }, "random_uniform", "uniform");
        SerializationRegistry.AddBuiltIn("Orthogonal", c =>
        {
            Config d = Defaults(c, new Orthogonal());
            return new Orthogonal(d.GetDouble("gain"), d.GetNullableInt64("seed"));
        }, "orthogonal", "OrthogonalInitializer", "orthogonal_initializer");
        SerializationRegistry.AddBuiltIn("GlorotUniform", c => new GlorotUniform(c.GetNullableInt64("seed")), "glorot_uniform");
        SerializationRegistry.AddBuiltIn("GlorotNormal", c => new GlorotNormal(c.GetNullableInt64("seed")), "glorot_normal");
        SerializationRegistry.AddBuiltIn("HeUniform", c => new HeUniform(c.GetNullableInt64("seed")), "he_uniform");
        SerializationRegistry.AddBuiltIn("HeNormal", c => new HeNormal(c.GetNullableInt64("seed")), "he_normal");
        SerializationRegistry.AddBuiltIn("LecunNormal", c => new LeCunNormal(c.GetNullableInt64("seed")), "lecun_normal");
        SerializationRegistry.AddBuiltIn("LecunUniform", c => new LeCunUniform(c.GetNullableInt64("seed")), "lecun_uniform");
        SerializationRegistry.AddBuiltIn("TruncatedNormal", c =>
        {
            Config d = Defaults(c, new TruncatedNormal());
            return new TruncatedNormal(d.GetDouble("mean"), d.GetDouble("stddev"), d.GetNullableInt64("seed"));
        }, "truncated_normal");
        SerializationRegistry.AddBuiltIn("VarianceScaling", VarianceScaling.FromConfig, "variance_scaling");

        // Keras' class is Identity (saved so), also exported as IdentityInitializer; the .NET name avoids the Identity layer.
        SerializationRegistry.AddBuiltIn("Identity", c => new IdentityInitializer(Defaults(c, new IdentityInitializer()).GetDouble("gain")), "identity", "IdentityInitializer");
        SerializationRegistry.AddBuiltIn("STFTInitializer", StftInitializer.FromConfig, "STFT", "stft", "stft_initializer");
    }

    private static void RegisterRegularizers()
    {
        SerializationRegistry.AddBuiltIn("L1", c => new L1(Defaults(c, new L1()).GetSingle("l1")), "l1");
        SerializationRegistry.AddBuiltIn("L2", c => new L2(Defaults(c, new L2()).GetSingle("l2")), "l2");
        SerializationRegistry.AddBuiltIn("L1L2", c =>
        {
            Config d = Defaults(c, new L1L2());
            return new L1L2(d.GetSingle("l1"), d.GetSingle("l2"));
        }, "l1_l2");
    }

    private static void RegisterOptimizers()
    {
        SerializationRegistry.AddBuiltIn("SGD", c =>
        {
            Config d = Defaults(c, new Sgd());
            return (Sgd)new Sgd(LearningRate(d), d.GetSingle("momentum"), d.GetBoolean("nesterov")).ReadClipping(c).ReadSchedule(c);
        }, "sgd");
        SerializationRegistry.AddBuiltIn("Adam", c =>
        {
            Config d = Defaults(c, new Adam());
            return (Adam)new Adam(LearningRate(d), d.GetSingle("beta_1"), d.GetSingle("beta_2"), d.GetSingle("epsilon"), d.GetBoolean("amsgrad")).ReadClipping(c).ReadSchedule(c);
        }, "adam");
        SerializationRegistry.AddBuiltIn("AdamW", c =>
        {
            Config d = Defaults(c, new AdamW());
            return (AdamW)new AdamW(LearningRate(d), d.GetSingle("weight_decay"), d.GetSingle("beta_1"), d.GetSingle("beta_2"), d.GetSingle("epsilon"), d.GetBoolean("amsgrad")).ReadClipping(c).ReadSchedule(c);
        }, "adamw");
        SerializationRegistry.AddBuiltIn("Adagrad", c =>
        {
            Config d = Defaults(c, new Adagrad());
            return (Adagrad)new Adagrad(LearningRate(d), d.GetSingle("initial_accumulator_value"), d.GetSingle("epsilon")).ReadClipping(c).ReadSchedule(c);
        }, "adagrad");
        SerializationRegistry.AddBuiltIn("Lamb", c =>
        {
            Config d = Defaults(c, new Lamb());
            return (Lamb)new Lamb(LearningRate(d), d.GetSingle("beta_1"), d.GetSingle("beta_2"), d.GetSingle("epsilon")).ReadClipping(c).ReadSchedule(c);
        }, "lamb");
        SerializationRegistry.AddBuiltIn("Adamax", c =>
        {
            Config d = Defaults(c, new Adamax());
            return (Adamax)new Adamax(LearningRate(d), d.GetSingle("beta_1"), d.GetSingle("beta_2"), d.GetSingle("epsilon")).ReadClipping(c).ReadSchedule(c);
        }, "adamax");
        SerializationRegistry.AddBuiltIn("Nadam", c =>
        {
            Config d = Defaults(c, new Nadam());
            return (Nadam)new Nadam(LearningRate(d), d.GetSingle("beta_1"), d.GetSingle("beta_2"), d.GetSingle("epsilon")).ReadClipping(c).ReadSchedule(c);
        }, "nadam");
        SerializationRegistry.AddBuiltIn("Adadelta", c =>
        {
            Config d = Defaults(c, new Adadelta());
            return (Adadelta)new Adadelta(LearningRate(d), d.GetSingle("rho"), d.GetSingle("epsilon")).ReadClipping(c).ReadSchedule(c);
        }, "adadelta");
        SerializationRegistry.AddBuiltIn("Adafactor", c =>
        {
            Config d = Defaults(c, new Adafactor());
            return (Adafactor)new Adafactor(LearningRate(d), d.GetSingle("beta_2_decay"), d.GetSingle("epsilon_1"), d.GetSingle("epsilon_2"), d.GetSingle("clip_threshold"), d.GetBoolean("relative_step")).ReadClipping(c).ReadSchedule(c);
        }, "adafactor");
        SerializationRegistry.AddBuiltIn("Muon", c =>
        {
            Config d = Defaults(c, new Muon());
            return (Muon)new Muon(
                LearningRate(d),
                d.GetSingle("adam_beta_1"),
                d.GetSingle("adam_beta_2"),
                d.GetNullableSingle("adam_weight_decay"),
                d.GetSingle("epsilon"),
                StringList(d, "exclude_layers"),
                d.GetBoolean("exclude_embeddings"),
                d.GetSingle("muon_a"),
                d.GetSingle("muon_b"),
                d.GetSingle("muon_c"),
                d.GetSingle("adam_lr_ratio"),
                d.GetSingle("momentum"),
                d.GetInt32("ns_steps", minimum: 0),
                d.GetBoolean("nesterov"),
                d.GetNullableSingle("rms_rate")).ReadClipping(c).ReadSchedule(c);
        }, "muon");
        SerializationRegistry.AddBuiltIn("ScheduleFreeAdamW", c =>
        {
            Config d = Defaults(c, new ScheduleFreeAdamW());
            return (ScheduleFreeAdamW)new ScheduleFreeAdamW(LearningRate(d), d.GetSingle("beta_1"), d.GetSingle("beta_2"), d.GetSingle("epsilon"), d.GetInt32("warmup_steps", minimum: 0)).ReadMode(c).ReadClipping(c).ReadSchedule(c);
        }, "schedule_free_adamw");
        SerializationRegistry.AddBuiltIn("Lion", c =>
        {
            Config d = Defaults(c, new Lion());
            return (Lion)new Lion(LearningRate(d), d.GetSingle("beta_1"), d.GetSingle("beta_2")).ReadClipping(c).ReadSchedule(c);
        }, "lion");
        SerializationRegistry.AddBuiltIn("Ftrl", c =>
        {
            Config d = Defaults(c, new Ftrl());
            return (Ftrl)new Ftrl(
                LearningRate(d),
                d.GetSingle("learning_rate_power"),
                d.GetSingle("initial_accumulator_value"),
                d.GetSingle("l1_regularization_strength"),
                d.GetSingle("l2_regularization_strength"),
                d.GetSingle("l2_shrinkage_regularization_strength"),
                d.GetSingle("beta")).ReadClipping(c).ReadSchedule(c);
        }, "ftrl");
        SerializationRegistry.AddBuiltIn("RMSprop", c =>
        {
            Config d = Defaults(c, new RmsProp());
            return (RmsProp)new RmsProp(LearningRate(d), d.GetSingle("rho"), d.GetSingle("momentum"), d.GetSingle("epsilon"), d.GetBoolean("centered")).ReadClipping(c).ReadSchedule(c);
        }, "rmsprop");
    }

    // Keras' "macro", "micro" or "weighted"; its None (one score per class) has no single-number form here.
    private static ScoreAverage ReadAverage(Config c) => c.GetString("average", "macro") switch
    {
        "macro" => ScoreAverage.Macro,
        "micro" => ScoreAverage.Micro,
        "weighted" => ScoreAverage.Weighted,
        string other => throw c.Error($"\"average\" is \"{FormatError.Shorten(other)}\"; expected \"macro\", \"micro\" or \"weighted\"."),
    };

    // A schedule in place of the number is read by ReadSchedule; the fixed rate then only needs to be valid.
    // A list of strings, or null (Keras writes exclude_layers=None as null) for none.
    private static string[] StringList(Config d, string key)
    {
        JsonNode? node = d.GetNode(key);
        if (node is null)
        {
            return [];
        }

        if (node is not JsonArray array)
        {
            throw d.Error($"\"{key}\" must be a list of strings but is {Config.Describe(node)}.");
        }

        var list = new string[array.Count];
        for (int i = 0; i < list.Length; i++)
        {
            list[i] = array[i]?.GetValueKind() == System.Text.Json.JsonValueKind.String
                ? array[i]!.GetValue<string>()
                : throw d.Error(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"\"{key}\"[{i}] is {Config.Describe(array[i])}; expected a string."));
        }

        return list;
    }

    private static float LearningRate(Config d) => d.GetNode("learning_rate") is System.Text.Json.Nodes.JsonObject ? 0.001f : d.GetSingle("learning_rate");

    private static void RegisterLosses()
    {
        AddLoss("CategoricalCrossentropy", (c, r) =>
        {
            Config d = Defaults(c, new CategoricalCrossEntropy());
            return new CategoricalCrossEntropy(d.GetBoolean("from_logits"), d.GetDouble("label_smoothing"), LossAxis(d), r);
        }, "categorical_crossentropy");
        AddLoss("SparseCategoricalCrossentropy", (c, r) =>
        {
            Config d = Defaults(c, new SparseCategoricalCrossEntropy());
            return new SparseCategoricalCrossEntropy(d.GetBoolean("from_logits"), d.Contains("ignore_class") ? d.GetInt32("ignore_class") : null, r);
        }, "sparse_categorical_crossentropy");
        AddLoss("BinaryCrossentropy", (c, r) =>
        {
            Config d = Defaults(c, new BinaryCrossEntropy());
            return new BinaryCrossEntropy(d.GetBoolean("from_logits"), d.GetDouble("label_smoothing"), LossAxis(d), r);
        }, "binary_crossentropy");
        AddLoss("BinaryFocalCrossentropy", (c, r) =>
        {
            Config d = Defaults(c, new BinaryFocalCrossEntropy());
            return new BinaryFocalCrossEntropy(d.GetBoolean("apply_class_balancing"), d.GetDouble("alpha"), d.GetDouble("gamma"), d.GetBoolean("from_logits"), d.GetDouble("label_smoothing"), LossAxis(d), r);
        }, "binary_focal_crossentropy");
        AddLoss("CategoricalFocalCrossentropy", (c, r) =>
        {
            Config d = Defaults(c, new CategoricalFocalCrossEntropy());
            return d.GetNode("alpha") is System.Text.Json.Nodes.JsonArray
                ? new CategoricalFocalCrossEntropy(d.GetDoubleArray("alpha"), d.GetDouble("gamma"), d.GetBoolean("from_logits"), d.GetDouble("label_smoothing"), LossAxis(d), r)
                : new CategoricalFocalCrossEntropy(d.GetDouble("alpha"), d.GetDouble("gamma"), d.GetBoolean("from_logits"), d.GetDouble("label_smoothing"), LossAxis(d), r);
        }, "categorical_focal_crossentropy");
        AddLoss("MeanSquaredError", (_, r) => new MeanSquaredError(r), "mean_squared_error", "mse");
        AddLoss("MeanAbsoluteError", (_, r) => new MeanAbsoluteError(r), "mean_absolute_error", "mae");
        AddLoss("MeanAbsolutePercentageError", (_, r) => new MeanAbsolutePercentageError(r), "mean_absolute_percentage_error", "mape");
        AddLoss("MeanSquaredLogarithmicError", (_, r) => new MeanSquaredLogarithmicError(r), "mean_squared_logarithmic_error", "msle");
        AddLoss("Huber", (c, r) => new Huber(Defaults(c, new Huber()).GetDouble("delta"), r), "huber_loss", "huber");
        AddLoss("LogCosh", (_, r) => new LogCosh(r), "log_cosh", "logcosh");
        AddLoss("Poisson", (_, r) => new Poisson(r), "poisson");
        AddLoss("Hinge", (_, r) => new Hinge(r), "hinge");
        AddLoss("SquaredHinge", (_, r) => new SquaredHinge(r), "squared_hinge");
        AddLoss("CategoricalHinge", (_, r) => new CategoricalHinge(r), "categorical_hinge");
        AddLoss("KLDivergence", (_, r) => new KLDivergence(r), "kl_divergence", "kld");
        AddLoss("CosineSimilarity", (_, r) => new CosineSimilarity(r), "cosine_similarity");
        AddLoss("Dice", (c, r) => new Dice(OverlapAxis(c), r), "dice");
        AddLoss("CTC", (_, r) => new Ctc(r), "ctc");
        AddLoss("Tversky", (c, r) =>
        {
            Config d = Defaults(c, new Tversky());
            return new Tversky(d.GetDouble("alpha"), d.GetDouble("beta"), OverlapAxis(c), r);
        }, "tversky");
        AddLoss("Circle", (c, r) =>
        {
            Config d = Defaults(c, new Circle());
            return new Circle(d.GetDouble("gamma"), d.GetDouble("margin"), d.GetBoolean("remove_diagonal"), r);
        }, "circle");
    }

    // Keras' Dice and Tversky write "axis": null (the whole batch), a tuple of axes (a JSON list), or one integer.
    private static int[]? OverlapAxis(Config c) => c.GetNode("axis") switch
    {
        null => null,
        System.Text.Json.Nodes.JsonArray => c.GetInt32Array("axis", maxLength: 8),
        _ => [c.GetInt32("axis")],
    };

    // Every Keras loss writes "reduction": one of Keras' strings, or null (Keras' None, no reduction); absent means Keras'
    // default, "sum_over_batch_size". Anything else is refused rather than trained as something else.
    private static void AddLoss<T>(string name, Func<Config, LossReduction, T> fromConfig, params string[] aliases)
        where T : Loss =>
        SerializationRegistry.AddBuiltIn(name, c => fromConfig(c, ReadReduction(c, name)), aliases);

    private static LossReduction ReadReduction(Config c, string className)
    {
        if (!c.Keys.Contains("reduction"))
        {
            return LossReduction.SumOverBatchSize;
        }

        System.Text.Json.Nodes.JsonNode? node = c.GetNode("reduction");
        string? text = node is null ? null : node.GetValueKind() == System.Text.Json.JsonValueKind.String ? node.GetValue<string>() : "?";
        return LossReductionNames.FromKeras(text) ?? throw c.Error(
            $"{className} \"reduction\" is {Config.Describe(node)}; expected one of Keras' reductions: \"sum_over_batch_size\", \"sum\", \"mean\", \"mean_with_sample_weight\", \"none\" or null.");
    }

    // The class axis of a cross-entropy (Keras' "axis", -1 when absent); 0, the batch axis, is refused here, an axis beyond the
    // output's rank when the model's shapes are known.
    private static int LossAxis(Config config)
    {
        int axis = config.GetInt32("axis", -1);
        return axis != 0 ? axis : throw config.Error("\"axis\" is 0, the batch axis; expected -1 (the last axis) or another axis after the batch axis.");
    }

    // Keras writes "axis": -1 for its IoU metrics and the sparse cross-entropy metric; only the last axis is supported there, so another
    // value must not be silently ignored.
    private static Config LastAxis(Config config) =>
        config.GetInt64("axis", -1) == -1 ? config : throw config.Error($"\"axis\" is {config.GetInt64("axis")}; only the last axis (-1) is supported.");

    // The configuration with the settings it leaves out taken from a default instance.
    private static Config Defaults(Config config, object defaultInstance) => config.WithDefaults(defaultInstance switch
    {
        ActivationFunction activation => activation.GetConfig(),
        Initializer initializer => initializer.GetConfig(),
        Regularizer regularizer => regularizer.GetConfig(),
        Optimizer optimizer => optimizer.GetConfig(),
        Loss loss => loss.GetConfig(),
        _ => throw new ArgumentException("Not a component with a configuration.", nameof(defaultInstance)),
    });
}
