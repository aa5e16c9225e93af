using NeuralNet.Layers;
using NeuralNet.Losses;
using NeuralNet.Models;
using NeuralNet.Optimizers;
using NeuralNet.Preprocessing;
using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Data.Tests;

public class TextFolderTests
{
    private static readonly TextFolderOptions s_sorted = new() { Shuffle = false };

    private static string[] Relative(TempFolder folder, TextFolderData data) => [.. data.FilePaths.Select(p => Path.GetRelativePath(folder.Root, p))];

    [Fact]
    public void Load_FilesOrderedByClassThenPath_TxtInAnyCaseOnly_ContentsAndLabels()
    {
        using var folder = new TempFolder();
        folder.WriteText(Path.Combine("pos", "z.TXT"), "great");
        folder.WriteText(Path.Combine("pos", "sub", "a.txt"), "fine");
        folder.WriteText(Path.Combine("neg", "y.txt"), "bad");
        folder.WriteText(Path.Combine("neg", "notes.md"), "not a text file");
        folder.WriteText(Path.Combine("neg", "y.txt.bak"), "not a text file");
        folder.WriteText(Path.Combine(".hidden", "x.txt"), "hidden class");
        folder.WriteText("top.txt", "not in a class");

        TextFolderData data = TextFolder.Load(folder.Root, s_sorted);

        Assert.Equal(["neg", "pos"], data.ClassNames);
        Assert.Equal([Path.Combine("neg", "y.txt"), Path.Combine("pos", "z.TXT"), Path.Combine("pos", "sub", "a.txt")], Relative(folder, data));
        Assert.Equal(["bad", "great", "fine"], data.Texts);
        Assert.Equal([0f, 1f, 1f], data.Labels!.ToArray());
        var (texts, labels) = data;
        Assert.Same(data.Texts, texts);
        Assert.Same(data.Labels, labels);
    }

    [Fact]
    public void Load_LabelModes_CategoricalOneHotBinaryColumnNoneReadsTheWholeTree()
    {
        using var folder = new TempFolder();
        folder.WriteText(Path.Combine("no", "a.txt"), "a");
        folder.WriteText(Path.Combine("yes", "b.txt"), "b");
        folder.WriteText(Path.Combine("yes", "c.txt"), "c");
        folder.WriteText("top.txt", "top");

        TextFolderData categorical = TextFolder.Load(folder.Root, new TextFolderOptions { Shuffle = false, LabelMode = FolderLabelMode.Categorical });
        Assert.Equal(new TensorShape(3, 2), categorical.Labels!.Shape);
        Assert.Equal([1f, 0f, 0f, 1f, 0f, 1f], categorical.Labels.ToArray());

        TextFolderData binary = TextFolder.Load(folder.Root, new TextFolderOptions { Shuffle = false, LabelMode = FolderLabelMode.Binary });
        Assert.Equal(new TensorShape(3, 1), binary.Labels!.Shape);
        Assert.Equal([0f, 1f, 1f], binary.Labels.ToArray());

        TextFolderData none = TextFolder.Load(folder.Root, new TextFolderOptions { Shuffle = false, LabelMode = FolderLabelMode.None });
        Assert.Null(none.Labels);
        Assert.Empty(none.ClassNames);
        // Keras sorts os.walk by folder path: the top folder's own files come first.
        Assert.Equal(["top", "a", "b", "c"], none.Texts);
    }

    [Fact]
    public void Load_ClassNamesGiven_TheirOrderAndOnlyThem()
    {
        using var folder = new TempFolder();
        folder.WriteText(Path.Combine("a", "1.txt"), "one");
        folder.WriteText(Path.Combine("b", "2.txt"), "two");
        folder.WriteText(Path.Combine("c", "3.txt"), "three");

        TextFolderData data = TextFolder.Load(folder.Root, new TextFolderOptions { Shuffle = false, ClassNames = ["c", "a"] });

        Assert.Equal(["c", "a"], data.ClassNames);
        Assert.Equal(["three", "one"], data.Texts);
        Assert.Equal([0f, 1f], data.Labels!.ToArray());
    }

    [Fact]
    public void Load_LabelsGiven_WholeTreeInKerasOrderShuffledWithTheirFiles()
    {
        using var folder = new TempFolder();
        string[] names = ["a/1.txt", "a/2.txt", "b/3.txt", "top.txt", "b/deep/4.txt", "5.txt"];
        foreach (string name in names)
        {
            folder.WriteText(name, Path.GetFileNameWithoutExtension(name));
        }

        // Keras' order of the tree: the top folder's files (5, top), then a (1, 2), b (3), b/deep (4).
        int[] labels = [7, 3, 3, 3, 7, 7];
        TextFolderData sorted = TextFolder.Load(folder.Root, new TextFolderOptions { Labels = labels, Shuffle = false });
        Assert.Equal(["5", "top", "1", "2", "3", "4"], sorted.Texts);
        Assert.Equal([7f, 3f, 3f, 3f, 7f, 7f], sorted.Labels!.ToArray());
        Assert.Equal(["3", "7"], sorted.ClassNames); // Keras: the distinct labels as text, sorted by value

        TextFolderData shuffled = TextFolder.Load(folder.Root, new TextFolderOptions { Labels = labels, Seed = 3 });
        Assert.NotEqual(sorted.Texts, shuffled.Texts);
        for (int i = 0; i < shuffled.Count; i++)
        {
            int position = sorted.Texts.ToList().IndexOf(shuffled.Texts[i]);
            Assert.Equal(labels[position], shuffled.Labels![i]);
        }

        TextFolderData categorical = TextFolder.Load(folder.Root, new TextFolderOptions { Labels = [1, 0, 0, 2, 1, 2], Shuffle = false, LabelMode = FolderLabelMode.Categorical });
        Assert.Equal(new TensorShape(6, 3), categorical.Labels!.Shape);
        Assert.Equal([0f, 1f, 0f, 1f, 0f, 0f], categorical.Labels.ToArray()[..6]);
    }

    [Fact]
    public void Load_LabelsGivenNotZeroToKForCategoricalOrBinary_Refused()
    {
        using var folder = new TempFolder();
        folder.WriteText("1.txt", "one");
        folder.WriteText("2.txt", "two");

        var categorical = Assert.Throws<ArgumentException>(() => TextFolder.Load(folder.Root, new TextFolderOptions { Labels = [0, 2], LabelMode = FolderLabelMode.Categorical }));
        Assert.Equal("With LabelMode Categorical, the given Labels must be 0 to 1 (one per distinct label, 2 here); received the labels 0, 2. (Parameter 'options')", categorical.Message);
        Assert.Throws<ArgumentException>(() => TextFolder.Load(folder.Root, new TextFolderOptions { Labels = [1, 2], LabelMode = FolderLabelMode.Binary }));
        var three = Assert.Throws<ArgumentException>(() => TextFolder.Load(folder.Root, new TextFolderOptions { Labels = [1, 1], LabelMode = FolderLabelMode.Binary }));
        Assert.StartsWith("When LabelMode is Binary, there must be exactly 2 classes. Received: 1 (1)", three.Message, StringComparison.Ordinal);
        Assert.Equal([1f, 2f], TextFolder.Load(folder.Root, new TextFolderOptions { Labels = [1, 2], Shuffle = false }).Labels!.ToArray());
    }

    [Theory]
    [InlineData("hello world", 5, "hello")]
    [InlineData("short", 100, "short")]
    [InlineData("h\u00e9llo", 2, "h")] // é is 2 bytes: cut in two, dropped whole
    [InlineData("h\u00e9llo", 3, "h\u00e9")]
    [InlineData("a\U0001F600b", 4, "a")] // the emoji is 4 bytes
    [InlineData("a\U0001F600b", 5, "a\U0001F600")]
    [InlineData("\u20ac\u20ac", 3, "\u20ac")]
    public void Load_MaxLength_CutsToThatManyUtf8BytesAsKeras(string text, int maxLength, string expected)
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("c", "t.txt"), System.Text.Encoding.UTF8.GetBytes(text));

        TextFolderData data = TextFolder.Load(folder.Root, new TextFolderOptions { MaxLength = maxLength });

        Assert.Equal([expected], data.Texts);
    }

    [Fact]
    public void Load_MaxLength_BytesAfterTheCutNotDecoded()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("c", "t.txt"), [(byte)'a', (byte)'b', (byte)'c', 0xFF, 0xFE]);
        Assert.Equal(["abc"], TextFolder.Load(folder.Root, new TextFolderOptions { MaxLength = 3 }).Texts);
        Assert.Throws<InvalidDataException>(() => TextFolder.Load(folder.Root, new TextFolderOptions { MaxLength = 4 }));
    }

    [Fact]
    public void Load_Utf8WithByteOrderMark_MarkKeptAsKerasKeepsTheBytes()
    {
        using var folder = new TempFolder();
        File.WriteAllBytes(folder.File("c", "t.txt"), [0xEF, 0xBB, 0xBF, (byte)'h', (byte)'i']);
        Assert.Equal(["\uFEFFhi"], TextFolder.Load(folder.Root).Texts);
        Assert.Equal(["\uFEFF"], TextFolder.Load(folder.Root, new TextFolderOptions { MaxLength = 3 }).Texts); // the mark counts its 3 bytes
        Assert.Equal(["\uFEFFh"], TextFolder.Load(folder.Root, new TextFolderOptions { MaxLength = 4 }).Texts);
    }

    [Fact]
    public void Load_FileNamesOutsideTheBmp_SortedByCodePointAsPython()
    {
        using var folder = new TempFolder();
        folder.WriteText(Path.Combine("c", "\U0001F600.txt"), "emoji");
        folder.WriteText(Path.Combine("c", "\uE000.txt"), "private use");
        folder.WriteText(Path.Combine("c", "z.txt"), "z");

        // Python's sorted: z (U+007A) < U+E000 < U+1F600; an ordinal UTF-16 sort would put the emoji's surrogates first.
        Assert.Equal(["z", "private use", "emoji"], TextFolder.Load(folder.Root, s_sorted).Texts);
    }

    [Fact]
    public void Load_SameNamesAsAnImageFolder_SameOrderAndSameSplit()
    {
        using var texts = new TempFolder();
        using var images = new TempFolder();
        for (int i = 0; i < 23; i++)
        {
            string cls = $"class{i % 3}";
            string name = $"f{i}";
            string sub = i % 4 == 0 ? "sub" : "";
            texts.WriteText(Path.Combine(cls, sub, name + ".txt"), name);
            TestImages.WriteSolid(images.File(cls, sub, name + ".png"), (byte)i, 0, 0, size: 1);
        }

        static string[] Stems(IReadOnlyList<string> paths, string root) => [.. paths.Select(p => Path.ChangeExtension(Path.GetRelativePath(root, p), null))];
        foreach (FolderSubset subset in new[] { FolderSubset.Training, FolderSubset.Validation })
        {
            TextFolderData text = TextFolder.Load(texts.Root, new TextFolderOptions { Seed = 42, ValidationSplit = 0.3, Subset = subset });
            ImageFolderData image = ImageFolder.Load(images.Root, new ImageFolderOptions { Seed = 42, ValidationSplit = 0.3, Subset = subset, ImageSize = (1, 1) });
            Assert.Equal(Stems(image.FilePaths, images.Root), Stems(text.FilePaths, texts.Root));
            Assert.Equal(image.Labels!.ToArray(), text.Labels!.ToArray());
            Assert.Equal(subset == FolderSubset.Training ? 17 : 6, text.Count); // int(0.3 x 23) = 6 for validation
        }
    }

    [Fact]
    public void Load_ShuffleSeed0_KerasFileOrder()
    {
        using var folder = new TempFolder();
        for (int i = 0; i < 10; i++)
        {
            folder.WriteText(Path.Combine("c", $"f{i}.txt"), $"f{i}");
        }

        // Keras lists f0..f9 and shuffles them with np.random.RandomState(0), whose permutation(10) is [2 8 4 9 1 6 7 3 0 5].
        Assert.Equal(["f2", "f8", "f4", "f9", "f1", "f6", "f7", "f3", "f0", "f5"], TextFolder.Load(folder.Root, new TextFolderOptions { Seed = 0 }).Texts);
    }

    [Fact]
    public void Load_LinksToFolders_FollowedOnlyWithFollowLinksAndCyclesOnce()
    {
        using var folder = new TempFolder();
        folder.WriteText(Path.Combine("a", "1.txt"), "one");
        folder.WriteText(Path.Combine("outside", "2.txt"), "two");
        try
        {
            Directory.CreateSymbolicLink(folder.File("a", "linked"), folder.File("outside"));
            Directory.CreateSymbolicLink(folder.File("a", "loop"), Path.Combine(folder.Root, "a"));
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return; // Windows without the right to create links
        }

        var options = new TextFolderOptions { Shuffle = false, ClassNames = ["a"] };
        Assert.Equal(["one"], TextFolder.Load(folder.Root, options).Texts);

        TextFolderData followed = TextFolder.Load(folder.Root, new TextFolderOptions { Shuffle = false, ClassNames = ["a"], FollowLinks = true });
        Assert.Equal(["one", "two"], followed.Texts);
        Assert.Equal([Path.Combine("a", "1.txt"), Path.Combine("a", "linked", "2.txt")], Relative(folder, followed));
    }

    [Fact]
    public void Load_LinkToAClassFolder_AClassAsKerasIsdir()
    {
        using var folder = new TempFolder();
        folder.WriteText(Path.Combine("a", "1.txt"), "one");
        folder.WriteText(Path.Combine("elsewhere", "b-files", "2.txt"), "two");
        string classes = folder.File("classes", "x");
        Directory.CreateDirectory(classes);
        try
        {
            Directory.CreateSymbolicLink(Path.Combine(folder.Root, "classes", "b"), Path.Combine(folder.Root, "elsewhere", "b-files"));
            Directory.CreateSymbolicLink(Path.Combine(folder.Root, "classes", "a"), Path.Combine(folder.Root, "a"));
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            return; // Windows without the right to create links
        }

        TextFolderData data = TextFolder.Load(Path.Combine(folder.Root, "classes"), s_sorted);

        Assert.Equal(["a", "b", "x"], data.ClassNames);
        Assert.Equal(["one", "two"], data.Texts);
        Assert.Equal([0f, 1f], data.Labels!.ToArray());
    }

    [Fact]
    public void Load_Cancelled_Throws()
    {
        using var folder = new TempFolder();
        folder.WriteText(Path.Combine("c", "t.txt"), "text");
        Assert.Throws<OperationCanceledException>(() => TextFolder.Load(folder.Root, null, new CancellationToken(canceled: true)));
    }

    [Fact]
    public void Fit_TextsIntoTextVectorization_ModelLearnsWhichFolderATextCameFrom()
    {
        using var folder = new TempFolder();
        string[] good = ["great", "lovely", "superb", "fine"];
        string[] bad = ["awful", "poor", "dreadful", "bad"];
        var random = new Random(5);
        for (int i = 0; i < 40; i++)
        {
            folder.WriteText(Path.Combine("pos", $"{i}.txt"), $"a {good[random.Next(4)]} film, {good[random.Next(4)]} acting");
            folder.WriteText(Path.Combine("neg", $"{i}.txt"), $"a {bad[random.Next(4)]} film, {bad[random.Next(4)]} acting");
        }

        (TextFolderData train, TextFolderData validation) = TextFolder.LoadSplit(folder.Root, new TextFolderOptions { ValidationSplit = 0.25, Seed = 1337, LabelMode = FolderLabelMode.Binary });
        var vectorizer = new TextVectorization(outputMode: TextOutputMode.MultiHot);
        vectorizer.Adapt(train.Texts);
        Tensor x = vectorizer.Transform(train.Texts);
        var model = new Sequential([new InputLayer(vectorizer.VocabularySize), new Dense(1, NeuralNet.Activations.ActivationFunction.Sigmoid)], seed: 1);
        model.Compile(new Adam(0.1f), new BinaryCrossEntropy(), new BinaryAccuracy());

        History history = model.Fit(x, train.Labels!, epochs: 30, batchSize: 16, verbose: 0, seed: 1,
            validationData: (vectorizer.Transform(validation.Texts), validation.Labels!));

        Assert.Equal((60, 20), (train.Count, validation.Count));
        Assert.Equal(1.0, history["val_binary_accuracy"][^1]);
    }
}
