using System.Text.Json.Nodes;

namespace NeuralNet.Keras;

/// <summary>
/// Call arguments Keras 3.0-3.9 wrote that the user never passed. Until keras-team/keras#21134 (April 2025, before 3.10;
/// the boundary is taken from that date, as for the optimizer's order) a layer's node recorded the keyword arguments
/// after <c>Layer.__call__</c> had filled them in, so every <c>Dropout</c>, <c>Attention</c> or recurrent layer call
/// carries its signature's default <c>"training": false</c>, and an augmentation layer's <c>"training": true</c>.
/// NeuralNet reads a call's training argument as a fixed mode, which would keep a Dropout off in <c>Fit</c> and an
/// augmentation on in <c>Predict</c>; Keras' own <c>fit</c> and <c>predict</c> pass their mode over every layer call's,
/// so dropping these values from the layers' calls gives what Keras does. A nested model's call keeps its argument:
/// <c>Functional.call</c>'s default is null, which Keras did not fill in, so a <c>training</c> there is the user's.
/// </summary>
internal static class KerasFilledCallArguments
{
    private static readonly string[] s_models = ["Functional", "Sequential", "Model"];

    /// <summary>Drops the training arguments Keras filled into the layer calls of <paramref name="config"/>, at any depth,
    /// when <paramref name="kerasVersion"/> is below 3.10.</summary>
    public static void Drop(JsonObject config, string? kerasVersion)
    {
        if (KerasOptimizerVariables.OrderOf(kerasVersion) == KerasOptimizerOrder.Keras30)
        {
            DropIn(config);
        }
    }

    private static void DropIn(JsonObject model)
    {
        foreach (JsonObject item in (model["config"]?["layers"] as JsonArray ?? []).OfType<JsonObject>())
        {
            string className = item["class_name"] is JsonValue value && value.TryGetValue(out string? name) ? name : string.Empty;
            if (s_models.Contains(className))
            {
                DropIn(item);
                continue;
            }

            foreach (JsonObject node in (item["inbound_nodes"] as JsonArray ?? []).OfType<JsonObject>())
            {
                (node["kwargs"] as JsonObject)?.Remove("training");
            }
        }
    }
}
