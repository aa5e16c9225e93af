using System.Text.Json;
using System.Text.Json.Nodes;

namespace NeuralNet.Keras;

/// <summary>
/// Call arguments Keras wrote that the user never passed. <c>Layer.__call__</c> fills a call's <c>training</c> with its
/// <c>call</c> signature's default (<c>false</c> for <c>Dropout</c>, <c>Attention</c> and the recurrent layers,
/// <c>true</c> for the augmentation layers), and until keras-team/keras#21134 (April 2025, before 3.10; the boundary is
/// taken from that date, as for the optimizer's order) the node recorded the filled-in call. Later versions recorded it
/// too when the call skipped input conversion (one float tensor, no keyword; the node kept the very dict
/// <c>__call__</c> filled in), until keras-team/keras#23296 (July 2026). NeuralNet reads a call's training argument as a
/// fixed mode, which would keep such a Dropout off in <c>Fit</c> and an augmentation on in <c>Predict</c>; Keras' own
/// <c>fit</c> and <c>predict</c> passed their mode over every layer call's until keras-team/keras#23364, so dropping
/// these values gives what Keras did.
/// <list type="bullet">
/// <item>Below 3.10 every layer call's <c>training</c> is dropped: all were filled in or overridden.</item>
/// <item>From 3.10 on, in an archive that NeuralNet.Keras did not write, a layer call's <c>training</c> equal to its
/// Keras class's default is dropped (what Keras fills in); another value is the user's and stays.</item>
/// </list>
/// A nested model's call keeps its argument: <c>Functional.call</c>'s default is null, which Keras does not fill in, so a
/// <c>training</c> there is the user's.
/// </summary>
internal static class KerasFilledCallArguments
{
    private static readonly string[] s_models = ["Functional", "Sequential", "Model"];

    // The Keras layers whose call signature defaults training to false (the dropout and noise layers, the recurrent
    // layers, dot and additive attention) or to true (every image augmentation layer: BaseImagePreprocessingLayer; and
    // Pipeline, whose call(inputs, training=True, mask=None) passes it on to its layers).
    private static readonly HashSet<string> s_defaultFalse =
    [
        "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout",
        "RNN", "SimpleRNN", "LSTM", "GRU", "Attention", "AdditiveAttention",
    ];

    private static readonly HashSet<string> s_defaultTrue =
    [
        "AugMix", "AutoContrast", "CenterCrop", "CutMix", "Equalization", "MixUp", "RandAugment", "RandomBrightness",
        "RandomColorDegeneration", "RandomColorJitter", "RandomContrast", "RandomCrop", "RandomElasticTransform", "RandomErasing",
        "RandomFlip", "RandomGaussianBlur", "RandomGrayscale", "RandomHue", "RandomInvert", "RandomPerspective",
        "RandomPosterization", "RandomRotation", "RandomSaturation", "RandomSharpness", "RandomShear", "RandomTranslation",
        "RandomZoom", "Resizing", "Solarization", "Pipeline",
    ];

    /// <summary>Drops the training arguments Keras filled into the layer calls of <paramref name="config"/>, at any depth.</summary>
    public static void Drop(JsonObject config, string? kerasVersion, bool writtenByNeuralNet)
    {
        if (KerasOptimizerVariables.OrderOf(kerasVersion) == KerasOptimizerOrder.Keras30)
        {
            DropIn(config, onlyDefaults: false);
        }
        else if (!writtenByNeuralNet)
        {
            DropIn(config, onlyDefaults: true);
        }
    }

    private static void DropIn(JsonObject model, bool onlyDefaults)
    {
        foreach (JsonObject item in (model["config"].Key("layers") as JsonArray ?? []).OfType<JsonObject>())
        {
            string className = KerasConfigItems.Text(item["class_name"]) ?? string.Empty;
            if (s_models.Contains(className))
            {
                DropIn(item, onlyDefaults);
                continue;
            }

            JsonValueKind? filled = s_defaultFalse.Contains(className) ? JsonValueKind.False : s_defaultTrue.Contains(className) ? JsonValueKind.True : null;
            foreach (JsonObject node in (item["inbound_nodes"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (node["kwargs"] is JsonObject kwargs && (!onlyDefaults || (filled is not null && kwargs["training"]?.GetValueKind() == filled)))
                {
                    kwargs.Remove("training");
                }
            }
        }
    }
}
