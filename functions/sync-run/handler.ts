// Placeholder: the real handler lands with its issue.
export const handler = async (): Promise<void> => {};
