// The document kinds as people read them, for every page (the kinds themselves: kotae/types.py DOC_TYPES).
// The older names a store may still carry (guideline, report, document) read as the kinds they became.
export const DOC_TYPE_LABELS = {
  minutes: "会議録", ordinance: "例規", bill: "議案", speech: "施政方針・市政報告", plan: "計画・方針",
  manual: "手引き・要領", faq: "FAQ", notice: "お知らせ", other: "その他",
  guideline: "手引き・要領", report: "その他", document: "その他",
};
export const docTypeLabel = (type) => DOC_TYPE_LABELS[type] || type || "";
