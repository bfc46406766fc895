// The sizes and choices of one encoder, as Hugging Face's BertConfig/RobertaConfig name them, plus ours.
#pragma once

#include <cstdint>
#include <string>

namespace secora {

struct EncoderConfig {
  std::string modelType = "bert";  // "bert" | "roberta": RoBERTa counts positions from the padding id
  int64_t vocabSize = 0;
  int64_t hiddenSize = 0;
  int64_t numHiddenLayers = 0;
  int64_t numAttentionHeads = 0;
  int64_t intermediateSize = 0;
  int64_t maxPositionEmbeddings = 0;
  int64_t typeVocabSize = 2;
  double layerNormEps = 1e-12;
  double hiddenDropoutProb = 0.1;
  double attentionProbsDropoutProb = 0.1;
  int64_t padTokenId = 0;
  double initializerRange = 0.02;
  std::string pooling = "cls";  // "cls" | "mean" | "cls_projection"
  int64_t embeddingSize = 0;    // the pooled size; equals hiddenSize unless pooling is cls_projection

  // The longest sequence the position table allows (RoBERTa's positions start after the padding id).
  int64_t maxSequenceLength() const {
    return modelType == "roberta" ? maxPositionEmbeddings - padTokenId - 1 : maxPositionEmbeddings;
  }
};

// Asserts the invariants the C++ relies on (TORCH_CHECK); users' configs are validated in TypeScript first.
void validateConfig(const EncoderConfig& c);

}  // namespace secora
