"""Assessment rounds (测评): the checklist (测评体系), rounds with random draws, inspectors' results on the phone,
tickets from failures, scores, the numbered 督查通报 and the 曝光 version."""
