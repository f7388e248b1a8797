"""The conversation: dialog state, policy (ask or recommend), answers from evidence, replies in zh/en."""
