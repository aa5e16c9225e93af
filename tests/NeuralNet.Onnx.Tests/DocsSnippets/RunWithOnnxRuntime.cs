// docs/onnx.md's C# snippet "Running the file with ONNX Runtime", compiled as an application's file is: its usings at
// the top and its code outside the NeuralNet namespace, so that names resolve as they do for a user. The lines between
// the snippet markers are the docs' lines; DocsSnippetTests checks that the docs show exactly these.
// <snippet>
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using NeuralNet;
using NeuralNet.Onnx;
using Tensor = NeuralNet.Tensor;                // both namespaces have a Tensor: without this line, Tensor is ambiguous (CS0104)
// </snippet>
using NeuralNet.Models;

namespace OnnxDocsSnippets;

internal static class RunWithOnnxRuntime
{
    /// <summary>Runs the snippet on <paramref name="model"/> (input "image", 28x28x1) and one image; writes digits.onnx in the current folder.</summary>
    public static (float[] Probabilities, Tensor Expected) Run(Model model, float[] pixels)
    {
        // <snippet>
        model.ExportOnnx("digits.onnx");
        using var session = new InferenceSession("digits.onnx");
        var image = new DenseTensor<float>(pixels, [1, 28, 28, 1]);     // channels last, as Predict takes it
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results =
            session.Run(new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor("image", image) });
        float[] probabilities = results[0].AsTensor<float>().ToArray();
        Tensor expected = model.Predict(Tensor.FromArray(pixels, 1, 28, 28, 1)); // the same numbers, within 1e-5
        // </snippet>
        return (probabilities, expected);
    }
}
