using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Dsl.Runtime.Data;
using Dsl.Runtime.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsl.Runtime.Tests.Data
{
    public class CsvSourceTests
    {
        private string _last = "";

        /// <summary>Writes a CSV file; <see cref="_last"/> is its path, which messages must start with.</summary>
        private string Write(string text, string name = "data.csv")
        {
            string path = Path.Combine(TestData.TempDir("csv"), name);
            File.WriteAllText(path, text);
            return _last = path;
        }

        private static float[] Floats(Tensor t) => t.data<float>().ToArray();

        private InvalidDataException Bad(string text, CsvOptions? options = null, string name = "data.csv")
        {
            string path = Write(text, name);
            return Assert.Throws<InvalidDataException>(() => CsvDataset.Load(path, options));
        }

        [Fact]
        public void Header_quoted_cells_and_class_names_are_read_as_written()
        {
            // Quoted header names (one holding the separator), quoted numbers, a doubled quote and a cell spanning two
            // lines, so the line numbers of later rows are the editor's, not the row count.
            string path = Write(
                "\"length, cm\",width,species\n" +
                "5.1,3.5,setosa\n" +
                "\"4.9\",  3.0 ,\"virginica\"\n" +
                "7.0,-2e-1,\"versi\ncolor\"\n" +
                "6.3,1E2,\"say \"\"hi\"\"\"\n" +
                "\n" +
                "5.8,2.7,setosa\n");
            using var data = CsvDataset.Load(path);

            Assert.Equal(5, data.Count);
            Assert.Equal(TargetKind.Class, data.TargetKind);
            Assert.Equal(new[] { "length, cm", "width" }, data.FeatureNames);
            Assert.Equal("species", data.TargetName);
            Assert.Equal(new[] { "say \"hi\"", "setosa", "versi\ncolor", "virginica" }, data.ClassNames); // ordinal: '"'... 's' < 'v'
            Assert.Equal(new Dsl.Shape(2), data.SampleShape);
            Assert.Equal(new long[] { 1, 3, 2, 0, 1 }, data.ClassLabels());

            var expected = new[] { new[] { 5.1f, 3.5f }, new[] { 4.9f, 3.0f }, new[] { 7.0f, -0.2f }, new[] { 6.3f, 100f }, new[] { 5.8f, 2.7f } };
            var lines = new[] { 2, 3, 4, 6, 8 };
            for (int i = 0; i < 5; i++)
            {
                using var e = data.Read(i);
                Assert.Equal(ScalarType.Float32, e.Input.dtype);
                Assert.Equal(new long[] { 2 }, e.Input.shape);
                Assert.Equal(expected[i], Floats(e.Input));
                Assert.Equal(ScalarType.Int64, e.Target.dtype);
                Assert.Equal(0, e.Target.dim());
                Assert.Equal(data.ClassLabels()![i], e.Target.item<long>());
                Assert.Equal(TargetKind.Class, e.Kind);
                Assert.Equal($"data.csv line {lines[i]}", e.Source);
                Assert.Equal(lines[i], data.LineOf(i));
            }
        }

        [Fact]
        public void A_first_row_of_numbers_is_data_and_integer_targets_are_class_ids_as_given()
        {
            string path = Write("1.5,2,3\n-4,5e-1,0\n7,8,3\n");
            using var data = CsvDataset.Load(path);
            Assert.Equal(3, data.Count);
            Assert.Equal(new[] { "column 0", "column 1" }, data.FeatureNames);
            Assert.Equal("column 2", data.TargetName);
            Assert.Empty(data.ClassNames);
            Assert.Equal(new long[] { 3, 0, 3 }, data.ClassLabels());
            Assert.Equal(new[] { 1.5f, 2f, -4f, 0.5f, 7f, 8f }, Floats(data.Inputs));
        }

        [Fact]
        public void A_header_is_detected_from_its_feature_cells_only_and_can_be_forced()
        {
            // The target cell of the first row is a name, the features numbers: data, not a header.
            using (var data = CsvDataset.Load(Write("1,2,cat\n3,4,dog\n")))
            {
                Assert.Equal(2, data.Count);
                Assert.Equal(new[] { "cat", "dog" }, data.ClassNames);
            }
            // A header whose names are numbers is only a header when said so.
            string numbered = Write("10,20,30\n1,2,0\n3,4,1\n");
            using (var data = CsvDataset.Load(numbered)) Assert.Equal(3, data.Count);
            using (var data = CsvDataset.Load(numbered, new CsvOptions { HasHeader = true }))
            {
                Assert.Equal(2, data.Count);
                Assert.Equal(new[] { "10", "20" }, data.FeatureNames);
                Assert.Equal("data.csv line 2", data.Read(0).Source);
            }
            // Naming the target by a name needs a header: here the first row becomes one.
            using (var data = CsvDataset.Load(Write("a,b\n1,2\n3,4\n"), new CsvOptions { Target = "a" }))
            {
                Assert.Equal(new[] { "b" }, data.FeatureNames);
                Assert.Equal(new long[] { 1, 3 }, data.ClassLabels());
            }
        }

        [Fact]
        public void Target_and_features_by_name_or_index_in_the_order_given()
        {
            string text = "label,a,b,c\n2,1,10,100\n0,2,20,200\n";
            using (var data = CsvDataset.Load(Write(text), new CsvOptions { Target = "label" }))
            {
                Assert.Equal(new[] { "a", "b", "c" }, data.FeatureNames);
                Assert.Equal(new[] { 1f, 10f, 100f, 2f, 20f, 200f }, Floats(data.Inputs));
                Assert.Equal(new long[] { 2, 0 }, data.ClassLabels());
            }
            using (var data = CsvDataset.Load(Write(text), new CsvOptions { Target = "0", Features = new[] { "c", "1" } }))
            {
                Assert.Equal("label", data.TargetName);
                Assert.Equal(new[] { "c", "a" }, data.FeatureNames);
                Assert.Equal(new[] { 100f, 1f, 200f, 2f }, Floats(data.Inputs));
            }
            // Without a header, the target by index.
            using (var data = CsvDataset.Load(Write("5,1,2\n6,3,4\n"), new CsvOptions { Target = "0" }))
            {
                Assert.Equal(new[] { "column 1", "column 2" }, data.FeatureNames);
                Assert.Equal(new long[] { 5, 6 }, data.ClassLabels());
            }
        }

        [Fact]
        public void Other_separators_read_the_same_table()
        {
            using var comma = CsvDataset.Load(Write("x,y,t\n1.5,2,a\n3,4,b\n"));
            using var semicolon = CsvDataset.Load(Write("x;y;t\n1.5;2;a\n3;4;b\n"), new CsvOptions { Separator = ';' });
            using var tab = CsvDataset.Load(Write("x\ty\tt\n1.5\t2\ta\n3\t4\tb\n"), new CsvOptions { Separator = '\t' });
            foreach (var d in new[] { semicolon, tab })
            {
                Assert.Equal(Floats(comma.Inputs), Floats(d.Inputs));
                Assert.Equal(comma.ClassLabels(), d.ClassLabels());
                Assert.Equal(comma.ClassNames, d.ClassNames);
            }
        }

        [Fact]
        public void Auto_target_kind_follows_the_documented_rule_and_the_kind_option_overrides_it()
        {
            // Every target an integer: class ids ("2.0" is an integer).
            using (var d = CsvDataset.Load(Write("f,t\n1,0\n2,2.0\n3,1\n")))
            {
                Assert.Equal(TargetKind.Class, d.TargetKind);
                Assert.Equal(new long[] { 0, 2, 1 }, d.ClassLabels());
            }
            // Some target a non-integer number: values, float32 [1] per row.
            using (var d = CsvDataset.Load(Write("f,t\n1,0\n2,2.5\n3,-1e-3\n")))
            {
                Assert.Equal(TargetKind.Values, d.TargetKind);
                Assert.Null(d.ClassLabels());
                Assert.Empty(d.ClassNames);
                using var e = d.Read(2);
                Assert.Equal(ScalarType.Float32, e.Target.dtype);
                Assert.Equal(new long[] { 1 }, e.Target.shape);
                Assert.Equal(-1e-3f, e.Target[0].item<float>());
                Assert.Equal(TargetKind.Values, e.Kind);
            }
            // Any target not a number: names, numbers included, sorted ordinally.
            using (var d = CsvDataset.Load(Write("f,t\n1,10\n2,b\n3,2\n4,10\n")))
            {
                Assert.Equal(TargetKind.Class, d.TargetKind);
                Assert.Equal(new[] { "10", "2", "b" }, d.ClassNames);
                Assert.Equal(new long[] { 0, 2, 1, 0 }, d.ClassLabels());
            }
            // Overrides: integer measurements as values, numbers as class names.
            using (var d = CsvDataset.Load(Write("f,age\n1,30\n2,41\n"), new CsvOptions { TargetKind = CsvTargetKind.Value }))
            {
                Assert.Equal(TargetKind.Values, d.TargetKind);
                Assert.Equal(new[] { 30f, 41f }, Floats(d.Targets));
                Assert.Equal(new long[] { 2, 1 }, d.Targets.shape);
            }
            using (var d = CsvDataset.Load(Write("f,grade\n1,2.5\n2,1.5\n3,2.5\n"), new CsvOptions { TargetKind = CsvTargetKind.Class }))
            {
                Assert.Equal(TargetKind.Class, d.TargetKind);
                Assert.Equal(new[] { "1.5", "2.5" }, d.ClassNames);
                Assert.Equal(new long[] { 1, 0, 1 }, d.ClassLabels());
            }
        }

        [Fact]
        public void Bad_cells_are_named_by_file_line_and_column()
        {
            string text = "a,b,label\n1,2,x\n3,abc,y\n";
            var e = Bad(text);
            Assert.Equal(
                $"{_last} line 3, column \"b\": \"abc\" is not a number. Features must be numbers with a '.' decimal point (1.5, 1e-3, -2); encode categories as numbers, or leave the column out with Features.",
                e.Message);

            e = Bad("a,b,label\n1,2,x\n3,,y\n");
            Assert.Equal($"{_last} line 3, column \"b\": the cell is empty (a missing value). Fill it in or drop the row; missing values are not guessed.", e.Message);

            e = Bad("a,b,label\n1,2,x\n3,4,\n");
            Assert.Equal($"{_last} line 3, column \"label\": the cell is empty (a missing value). Fill it in or drop the row; missing values are not guessed.", e.Message);

            // Without a header, columns are named by their 0-based index, as the target option takes them.
            e = Bad("1,2,0\n1,2,0\n1,1.5.2,1\n");
            Assert.StartsWith($"{_last} line 3, column 1: \"1.5.2\" is not a number.", e.Message);

            foreach (var (cell, name) in new[] { ("NaN", "nan"), ("inf", "inf"), ("-Inf", "neginf"), ("-Infinity", "neginfinity"), ("1e39", "big") })
            {
                e = Bad($"a,b,label\n1,{cell},x\n", name: name + ".csv");
                Assert.Equal(
                    $"{_last} line 2, column \"b\": \"{cell}\" is not a finite number (NaN, an infinity, or beyond float32's range of ±3.4e38), which cannot be trained on. Replace the value or drop the row.",
                    e.Message);
            }

            // A non-finite target among numbers is a bad value, not a class name.
            e = Bad("a,t\n1,0.5\n2,inf\n");
            Assert.Equal($"{_last} line 3, column \"t\": \"inf\" is not a finite number (NaN, an infinity, or beyond float32's range of ±3.4e38), which cannot be trained on. Replace the value or drop the row.", e.Message);

            // A value target that is not a number says which kind needs names.
            e = Bad("a,t\n1,0.5\n2,cat\n", new CsvOptions { TargetKind = CsvTargetKind.Value });
            Assert.Equal(
                $"{_last} line 3, column \"t\": \"cat\" is not a number. The target kind is value, which needs numbers; for class names use the target kind class (--target-kind class).",
                e.Message);
        }

        [Fact]
        public void Rows_of_the_wrong_width_are_named_with_the_columns_expected()
        {
            var e = Bad("a,b,label\n1,2,0\n1,2\n");
            Assert.Equal(
                $"{_last} line 3 has 2 cells but the header has 3 (\"a\", \"b\", \"label\"): every row needs one cell per column. Look for a missing or extra separator ',' (a cell holding it must be quoted).",
                e.Message);
            e = Bad("1,2,0\n\n1,2,5,0\n");
            Assert.Equal(
                $"{_last} line 3 has 4 cells but line 1 has 3 (column 0, column 1, column 2 (0-based)): every row needs one cell per column. Look for a missing or extra separator ',' (a cell holding it must be quoted).",
                e.Message);
        }

        [Fact]
        public void A_missing_target_column_lists_the_columns()
        {
            var e = Bad("a,b,label\n1,2,0\n", new CsvOptions { Target = "class" });
            Assert.Equal($"{_last} has no column \"class\" for the target; its columns are \"a\", \"b\", \"label\". Name one of them, or give a 0-based index.", e.Message);
            e = Bad("1,2,0\n", new CsvOptions { Target = "3", HasHeader = false });
            Assert.Equal(
                $"{_last} has no column \"3\" for the target; its columns are column 0, column 1, column 2 (0-based). The file has no header (its first line holds numbers), so name the column by its 0-based index, or set HasHeader.",
                e.Message);
            e = Bad("a,b,label\n1,2,0\n", new CsvOptions { Features = new[] { "a", "c" } });
            Assert.Equal($"{_last} has no feature column \"c\"; its columns are \"a\", \"b\", \"label\".", e.Message);
        }

        [Fact]
        public void Files_without_data_rows_and_negative_class_ids_are_refused()
        {
            var e = Bad("a,b,label\n");
            Assert.Equal($"{_last} holds no data rows: line 1 is the header (a, b, label) and no row follows it.", e.Message);
            e = Bad("\n\n");
            Assert.Equal($"{_last} is empty: it holds no rows. A CSV data set holds one sample per line: feature cells and a target cell.", e.Message);
            e = Bad("a,label\n1,0\n2,-1\n");
            Assert.Equal($"{_last} line 3, column \"label\": class id \"-1\" is negative; class ids are 0, 1, 2, ... (or write class names, which are numbered in sorted order).", e.Message);
            e = Bad("label\n1\n", new CsvOptions { HasHeader = true });
            Assert.Equal($"{_last} has only one column, column \"label\", the target: a sample needs at least one feature column besides it.", e.Message);
        }

        [Fact]
        public void Options_that_cannot_work_are_refused_by_name()
        {
            string path = Write("a,b\n1,2\n");
            var e = Assert.Throws<InvalidOptionException>(() => CsvDataset.Load(path, new CsvOptions { Separator = '"' }));
            Assert.Equal("Separator", e.Option);
            Assert.Equal("Separator must be a printable ASCII character that cannot be part of a number or a quote, such as ',', ';', '|' or a tab; got '\"'.", e.Message);
            e = Assert.Throws<InvalidOptionException>(() => CsvDataset.Load(path, new CsvOptions { Target = " " }));
            Assert.Equal("Target must be a column name or a 0-based column index (null for the last column); got an empty name.", e.Message);
            e = Assert.Throws<InvalidOptionException>(() => CsvDataset.Load(path, new CsvOptions { Features = new[] { "a", "b" } }));
            Assert.Equal("Features must be columns other than the target; got the target column \"b\".", e.Message);
            e = Assert.Throws<InvalidOptionException>(() => CsvDataset.Load(path, new CsvOptions { Features = new[] { "a", "a" } }));
            Assert.Equal("Features", e.Option);
        }

        [Fact]
        public void A_batch_loader_stacks_rows_into_float_features_and_class_or_value_targets()
        {
            string classes = Write("a,b,t\n" + string.Join("\n", Enumerable.Range(0, 10).Select(i => $"{i},{i * 0.5},{i % 3}")) + "\n");
            using (var data = CsvDataset.Load(classes))
            {
                var loader = new BatchLoader(data, 4, shuffle: false);
                var batches = loader.Epoch(1).ToList();
                Assert.Equal(new[] { 4, 4, 2 }, batches.Select(b => b.Size));
                Assert.Equal(ScalarType.Float32, batches[1].X.dtype);
                Assert.Equal(new long[] { 4, 2 }, batches[1].X.shape);
                Assert.Equal(new[] { 4f, 2f, 5f, 2.5f, 6f, 3f, 7f, 3.5f }, Floats(batches[1].X));
                Assert.Equal(ScalarType.Int64, batches[1].Y.dtype);
                Assert.Equal(new long[] { 1, 2, 0, 1 }, batches[1].Y.data<long>().ToArray());
                foreach (var b in batches) b.Dispose();

                // Sample by sample (through a view, so the in-memory batch path is not taken) gives the same batch.
                var view = data.Subset(Enumerable.Range(0, 10).ToArray());
                var (x, y) = BatchLoader.Collate(view, new long[] { 4, 5, 6, 7 }, 1, 1, 2);
                Assert.Equal(new[] { 4f, 2f, 5f, 2.5f, 6f, 3f, 7f, 3.5f }, Floats(x));
                Assert.Equal(new long[] { 1, 2, 0, 1 }, y.data<long>().ToArray());
            }
            string values = Write("a,t\n" + string.Join("\n", Enumerable.Range(0, 6).Select(i => $"{i},{i + 0.25}")) + "\n");
            using (var data = CsvDataset.Load(values))
            {
                var loader = new BatchLoader(data, 4, shuffle: false, prefetch: 0);
                using var b = loader.Epoch(1).First();
                Assert.Equal(ScalarType.Float32, b.Y.dtype);
                Assert.Equal(new long[] { 4, 1 }, b.Y.shape);
                Assert.Equal(new[] { 0.25f, 1.25f, 2.25f, 3.25f }, Floats(b.Y));
                Assert.Equal(new long[] { 4, 1 }, b.X.shape);
            }
        }

        [Fact]
        public void A_linear_model_learns_a_linearly_separable_csv()
        {
            // Three classes cut by two lines in the plane; a seeded generator so the file is the same every run.
            var random = new Random(7);
            var rows = new List<string> { "x,y,class" };
            for (int i = 0; i < 300; i++)
            {
                double x = random.NextDouble() * 4 - 2, y = random.NextDouble() * 4 - 2;
                if (Math.Abs(x) < 0.15 || Math.Abs(x - y) < 0.15) continue; // a margin around the boundaries
                string c = x < 0 ? "left" : y < x ? "low" : "high";
                rows.Add(string.Create(CultureInfo.InvariantCulture, $"{x:F4},{y:F4},{c}"));
            }
            string path = Write(string.Join("\n", rows) + "\n");
            using var data = CsvDataset.Load(path);
            Assert.Equal(new[] { "high", "left", "low" }, data.ClassNames);
            var (train, val) = data.Split(0.2, seed: 3);

            torch.manual_seed(5);
            using var model = nn.Sequential(("fc", nn.Linear(2, 3)));
            var result = Trainer.Fit(model, train, val, new TrainOptions
            {
                OutputDir = TestData.TempDir("csv-fit"),
                Epochs = 8,
                BatchSize = 16,
                LearningRate = 0.2,
                Seed = 1,
                Progress = ProgressMode.Silent,
                Plot = false,
                Workers = 1,
            });
            var accuracy = Trainer.Evaluate(model, val, workers: 1).Accuracy;
            Assert.True(result.Completed);
            Assert.True(accuracy >= 0.95, $"validation accuracy {accuracy}");
        }
    }
}
