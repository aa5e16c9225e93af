using NeuralNet.Models;

namespace NeuralNet.Samples.Tabular;

/// <summary>Saves a model (with its adapted Normalization), loads it back and checks that it predicts the same.</summary>
internal static class SavedModel
{
    /// <summary>
    /// Saves <paramref name="model"/> to <paramref name="path"/>, loads it and returns the loaded model's predictions for
    /// <paramref name="x"/>; throws when they differ from the original's.
    /// </summary>
    public static Tensor CheckReload(Model model, Tensor x, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        model.Save(path);
        Model loaded = Model.Load(path);
        Tensor before = model.Predict(x);
        Tensor after = loaded.Predict(x);
        bool same = before.AsReadOnlySpan().SequenceEqual(after.AsReadOnlySpan());
        Console.WriteLine($"Saved to {path} ({new FileInfo(path).Length:N0} bytes) and loaded back: predictions on the {x.Shape[0]} test rows {(same ? "identical" : "DIFFERENT")}");
        return same ? after : throw new InvalidOperationException($"The model loaded from {path} predicts differently from the one saved.");
    }
}
