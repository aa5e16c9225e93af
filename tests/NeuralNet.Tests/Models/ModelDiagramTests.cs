using NeuralNet.Activations;
using NeuralNet.Layers;
using NeuralNet.Models;
using Xunit;

namespace NeuralNet.Tests.Models;

// Expected labels are written out from Keras 3's keras/src/utils/model_visualization.py (make_layer_label, make_node,
// model_to_dot): the table markup, its colours and point sizes, the colspan rule and the Python forms of shapes.
public class ModelDiagramTests
{
    private const string Header = "digraph G {\nrankdir=TB;\nconcentrate=true;\ndpi=200;\nsplines=ortho;\nnode [shape=record];\n";

    private static string Title(string text, int colspan = 1) =>
        $"<tr><td colspan=\"{colspan}\" bgcolor=\"black\"><font point-size=\"16\" color=\"white\">{text}</font></td></tr>";

    private static string Node(string id, string rows) =>
        $"\"{id}\" [label=<<table border=\"0\" cellborder=\"1\" bgcolor=\"black\" cellpadding=\"10\">{rows}</table>>, fontname=Helvetica, border=0, margin=0];\n";

    private static string Cell(string caption, string value) =>
        $"<td bgcolor=\"white\"><font point-size=\"14\">{caption}: <b>{value}</b></font></td>";

    [Fact]
    public void ToDot_Sequential_ChainsItsLayersWithoutTheInputLayer()
    {
        var model = new Sequential([new InputLayer(784), new Dense(512, ActivationFunction.Relu), new Dense(10, ActivationFunction.Softmax)]);

        string expected = Header
            + Node("dense", Title("<b>dense</b> (Dense)"))
            + Node("dense_1", Title("<b>dense_1</b> (Dense)"))
            + "\"dense\" -> \"dense_1\" [penwidth=2];\n}\n";
        Assert.Equal(expected, ModelDiagram.ToDot(model));
    }

    [Fact]
    public void ToDot_ShapesDtypeTrainableAndActivation_FollowKerasLabel()
    {
        var model = new Sequential([new InputLayer(784), new Dense(512, ActivationFunction.Relu, name: "hidden"), new Dropout(0.5, name: "drop")]);
        model.GetLayer("hidden").Trainable = false;
        var options = new ModelDiagramOptions { ShowShapes = true, ShowDtype = true, ShowTrainable = true, ShowLayerActivations = true, ShowLayerNames = false };

        // Four cells (two shapes, dtype, trainable) make the title span 4; Dropout has no weights, so no trainable cell,
        // and no activation row.
        string expected = Header
            + Node("hidden", Title("<b>Dense</b>", 4)
                + "<tr><td bgcolor=\"white\" colspan=\"4\"><font point-size=\"14\">Activation: <b>relu</b></font></td></tr>"
                + "<tr>" + Cell("Input shape", "(None, 784)") + Cell("Output shape", "(None, 512)") + Cell("Output dtype", "float32")
                + "<td bgcolor=\"firebrick\"><font point-size=\"14\" color=\"white\"><b>Non-trainable</b></font></td></tr>")
            + Node("drop", Title("<b>Dropout</b>", 4)
                + "<tr>" + Cell("Input shape", "(None, 512)") + Cell("Output shape", "(None, 512)") + Cell("Output dtype", "float32") + "</tr>")
            + "\"hidden\" -> \"drop\" [penwidth=2];\n}\n";
        Assert.Equal(expected, ModelDiagram.ToDot(model, options));
    }

    [Fact]
    public void ToDot_Functional_DrawsInputsAndEachConnectionOnce()
    {
        // A shared layer called on both inputs, a merge, and two outputs.
        Functional model = FunctionalTests.Siamese();
        var options = new ModelDiagramOptions { ShowShapes = true, RankDirection = "LR" };
        string dot = ModelDiagram.ToDot(model, options);

        Assert.StartsWith(Header.Replace("rankdir=TB", "rankdir=LR", StringComparison.Ordinal), dot, StringComparison.Ordinal);
        string[] edges = [.. dot.Split('\n').Where(l => l.Contains(" -> ", StringComparison.Ordinal))];
        const string shared = "shared";
        string[] expectedEdges =
        [
            $"\"a\" -> \"{shared}\" [penwidth=2];", $"\"b\" -> \"{shared}\" [penwidth=2];",
            $"\"{shared}\" -> \"joined\" [penwidth=2];", $"\"{shared}\" -> \"first\" [penwidth=2];", "\"joined\" -> \"pair\" [penwidth=2];",
        ];
        Assert.Equal(expectedEdges.Order(StringComparer.Ordinal), edges.Order(StringComparer.Ordinal));

        // An input layer shows its output shape only; a merge its inputs as Python's list of tuples.
        Assert.Contains(Node("a", Title("<b>a</b> (InputLayer)", 2) + "<tr>" + Cell("Output shape", "(None, 5)") + "</tr>"), dot, StringComparison.Ordinal);
        Assert.Contains("<tr>" + Cell("Input shape", "[(None, 4), (None, 4)]") + Cell("Output shape", "(None, 8)") + "</tr>", dot, StringComparison.Ordinal);
        Assert.Equal(model.Layers.Count, dot.Split('\n').Count(l => l.Contains("[label=<", StringComparison.Ordinal)));
    }

    [Fact]
    public void ToDot_SeveralOutputs_ListsShapesAndDtypes()
    {
        var x = new Input(new TensorShape(7, 3), "seq");
        SymbolicTensor[] outputs = new Lstm(4, name: "lstm") { ReturnState = true }.CallOutputs(x);
        var model = new Functional([x], [new Add(name: "states").Call(outputs[1], outputs[2])]);
        string dot = ModelDiagram.ToDot(model, new ModelDiagramOptions { ShowShapes = true, ShowDtype = true });
        Assert.Contains(Cell("Input shape", "(None, 7, 3)") + Cell("Output shape", "[(None, 4), (None, 4), (None, 4)]")
            + Cell("Output dtype", "[&#39;float32&#39;, &#39;float32&#39;, &#39;float32&#39;]"), dot, StringComparison.Ordinal);
        // Two of the LSTM's outputs feed the Add: one edge.
        Assert.Single(dot.Split('\n'), l => l == "\"lstm\" -> \"states\" [penwidth=2];");
    }

    [Fact]
    public void ToDot_VariableAxisAndSharedLayer_ShowNoneAndTheFirstCallsShapes()
    {
        // A layer called on a (None, 16) sequence and again on its 8-wide projection: the label shows the first call.
        var x = new Input([null, 16], "tokens");
        var shared = new Dense(8, name: "shared");
        SymbolicTensor first = shared.Call(x);
        SymbolicTensor second = shared.Call(new Dense(16, name: "back").Call(first));
        var model = new Functional(x, new Add(name: "sum").Call(first, second));
        string dot = ModelDiagram.ToDot(model, new ModelDiagramOptions { ShowShapes = true });
        Assert.Contains("\"shared\" [label=<<table border=\"0\" cellborder=\"1\" bgcolor=\"black\" cellpadding=\"10\">" + Title("<b>shared</b> (Dense)", 2)
            + "<tr>" + Cell("Input shape", "(None, None, 16)") + Cell("Output shape", "(None, None, 8)") + "</tr>", dot, StringComparison.Ordinal);
        Assert.Contains("\"back\" -> \"shared\" [penwidth=2];", dot, StringComparison.Ordinal);
        Assert.Contains("\"shared\" -> \"back\" [penwidth=2];", dot, StringComparison.Ordinal);
    }

    [Fact]
    public void ToDot_NestedModel_DrawsItsLayersInPlace()
    {
        var inner = new Input(new TensorShape(4), "inner_in");
        var encoder = new Functional(inner, new Dense(3, name: "enc_dense").Call(inner), name: "encoder");
        var x = new Input(new TensorShape(4), "outer_in");
        var model = new Functional(x, new Dense(1, name: "head").Call(encoder.Call(x)));
        string dot = ModelDiagram.ToDot(model);
        Assert.Contains("\"outer_in\" -> \"enc_dense\" [penwidth=2];", dot, StringComparison.Ordinal);
        Assert.Contains("\"enc_dense\" -> \"head\" [penwidth=2];", dot, StringComparison.Ordinal);
        Assert.DoesNotContain("encoder", dot, StringComparison.Ordinal);
    }

    [Fact]
    public void ToDot_ActivationWithSettings_ShowsTheFunctionsName()
    {
        // Keras prints layer.activation's name: "leaky_relu" whatever the slope.
        var model = new Sequential([new InputLayer(2), new Dense(3, new LeakyRelu(0.1f), name: "d"), new Activation(ActivationFunction.Gelu, name: "act")]);
        string dot = ModelDiagram.ToDot(model, new ModelDiagramOptions { ShowLayerActivations = true });
        Assert.Contains(Title("<b>d</b> (Dense)") + "<tr><td bgcolor=\"white\" colspan=\"1\"><font point-size=\"14\">Activation: <b>leaky_relu</b></font></td></tr>", dot, StringComparison.Ordinal);
        Assert.Contains("Activation: <b>gelu</b>", dot, StringComparison.Ordinal);
    }

    [Fact]
    public void ToDot_Names_AreEscapedForDotAndHtml()
    {
        var model = new Sequential([new InputLayer(2), new Dense(1, name: "a<b>&\"c\"")]);
        string dot = ModelDiagram.ToDot(model);
        Assert.Contains("\"a<b>&\\\"c\\\"\" [label=", dot, StringComparison.Ordinal);
        Assert.Contains("<b>a&lt;b&gt;&amp;&quot;c&quot;</b> (Dense)", dot, StringComparison.Ordinal);
    }

    [Fact]
    public void ToDot_UnbuiltModel_IsRefusedNamingIt()
    {
        var model = new Sequential([new Dense(3)], name: "later");
        var error = Assert.Throws<InvalidOperationException>(() => ModelDiagram.ToDot(model));
        Assert.Contains("'later' is not built", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("RankDirection")]
    [InlineData("Splines")]
    [InlineData("Dpi")]
    public void ToDot_BadOption_IsRefusedNamingIt(string option)
    {
        var model = new Sequential([new InputLayer(2), new Dense(1)]);
        ModelDiagramOptions options = option switch
        {
            "RankDirection" => new() { RankDirection = "tb" },
            "Splines" => new() { Splines = "wavy" },
            _ => new() { Dpi = 0 },
        };
        var error = Assert.ThrowsAny<ArgumentException>(() => ModelDiagram.ToDot(model, options));
        Assert.Equal(option, error.ParamName);
        Assert.Contains("ModelDiagramOptions." + option, error.Message, StringComparison.Ordinal);
    }
}
