// The demo repositories that --samples creates: small, but with folders, an LFS file, a tag,
// a branch, a pull request and a few commits, so every path of a client can be tried on them.
#include <random>

#include "discussion_store.hpp"
#include "hub.hpp"
#include "sha256.hpp"

namespace localhub {
namespace {

struct SampleFile {
    std::string path;
    std::string content;
    bool lfs = false;
};

// A valid safetensors file: 8-byte little-endian header length, JSON header, then the tensor.
std::string sample_safetensors() {
    const size_t n = 1024 * 1024;  // floats
    std::string header = R"({"__metadata__":{"format":"pt"},"weight":{"dtype":"F32","shape":[1024,1024],"data_offsets":[0,)" +
                         std::to_string(n * 4) + "]}}";
    while (header.size() % 8) header += ' ';
    std::string out(8, '\0');
    uint64_t len = header.size();
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((len >> (8 * i)) & 255);
    out += header;
    std::mt19937 rng(42);
    std::string data(n * 4, '\0');
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(rng() & 255);
    return out + data;
}

git_oid commit_files(GitRepo& git, LfsStore& lfs, const std::string& ref, const std::vector<SampleFile>& files,
                     const std::string& message) {
    auto head = git.ref_target(ref);
    TreeEditor editor(git, head ? std::optional<git_oid>(git.commit_tree(*head)) : std::nullopt);
    for (const auto& f : files) {
        std::string blob = f.content;
        if (f.lfs) {
            std::string sha = Sha256::of(f.content);
            lfs.ingest(sha, f.content.size(), [&](const std::function<bool(const char*, size_t)>& sink) {
                return sink(f.content.data(), f.content.size());
            });
            blob = make_lfs_pointer({sha, f.content.size()});
        }
        editor.put_file(f.path, git.write_blob(blob));
    }
    std::vector<git_oid> parents;
    if (head) parents.push_back(*head);
    git_oid c = git.write_commit(parents, editor.write(), "localhub", "localhub@users.noreply.localhub", message);
    git.set_ref(ref, c);
    return c;
}

}  // namespace

void Hub::create_samples() {
    RepoId model{RepoType::model, "demo", "tiny-model"};
    RepoMeta meta;
    if (repos_.create(model, meta, "localhub")) {
        auto git = GitRepo::open(repos_.path(model).string());
        auto first = commit_files(
            git, lfs_, "refs/heads/main",
            {{"README.md", "---\nlicense: apache-2.0\nlibrary_name: transformers\n---\n# tiny-model\n\nA demo model served by localhub.\n"},
             {"config.json", "{\n  \"architectures\": [\"TinyModel\"],\n  \"hidden_size\": 1024,\n  \"num_layers\": 1\n}\n"},
             {"model.safetensors", sample_safetensors(), true},
             {"tokenizer/tokenizer.json", "{\"version\": \"1.0\", \"model\": {\"type\": \"WordLevel\"}}\n"},
             {"tokenizer/vocab.txt", "[PAD]\n[UNK]\nhello\nworld\n"}},
            "Add model");
        git.set_ref("refs/tags/v1.0", first);
        commit_files(git, lfs_, "refs/heads/main",
                     {{"nested/a/b/deep.txt", "three folders down\n"}, {"generation_config.json", "{\"max_length\": 32}\n"}},
                     "Add generation config and a nested folder");
        git.set_ref("refs/heads/dev", *git.ref_target("refs/heads/main"));
        commit_files(git, lfs_, "refs/heads/dev", {{"DEV_NOTES.md", "work in progress on the dev branch\n"}},
                     "Start dev branch");
        // An open pull request, so that `tiny-model@refs%2Fpr%2F1` (the README's example) exists.
        git.set_ref("refs/pr/1", *git.ref_target("refs/heads/main"));
        commit_files(git, lfs_, "refs/pr/1", {{"PR_NOTES.md", "proposed in pull request #1\n"}}, "Propose notes");
        DiscussionStore store(repos_.path(model));
        auto all = store.load();
        int num = DiscussionStore::take_number(all);
        all["discussions"].push_back({{"num", num}, {"title", "Propose notes"}, {"status", "open"},
                                      {"isPullRequest", true}, {"author", {{"name", "localhub"}, {"type", "user"}}},
                                      {"createdAt", "2025-01-01T00:00:00.000Z"}, {"base", "refs/heads/main"},
                                      {"events", nlohmann::json::array({make_event("commit", "localhub",
                                          {{"subject", "Propose notes"}, {"oid", oid_hex(*git.ref_target("refs/pr/1"))}})})}});
        store.save(all);
    }
    RepoId dataset{RepoType::dataset, "demo", "sample-data"};
    if (repos_.create(dataset, meta, "localhub")) {
        auto git = GitRepo::open(repos_.path(dataset).string());
        std::string train = "id,text,label\n", test = "id,text,label\n";
        for (int i = 0; i < 200; ++i) (i % 5 ? train : test) += std::to_string(i) + ",sample sentence " + std::to_string(i) + "," + std::to_string(i % 2) + "\n";
        commit_files(git, lfs_, "refs/heads/main",
                     {{"README.md", "---\nlicense: cc0-1.0\n---\n# sample-data\n\nA demo dataset served by localhub.\n"},
                      {"data/train.csv", train},
                      {"data/test.csv", test}},
                     "Add data");
    }
}

}  // namespace localhub
