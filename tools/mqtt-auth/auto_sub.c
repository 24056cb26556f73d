#include "auto_sub.h"

#include <stdlib.h>
#include <string.h>

#include <mosquitto.h>

static void free_record(struct otagw_auto_sub_client *record)
{
	for(size_t i = 0; i < record->filter_count; i++) free(record->filters[i]);
	free(record->filters);
	free(record->client_id);
	memset(record, 0, sizeof(*record));
}

struct otagw_auto_sub_client *otagw_auto_sub_find(struct otagw_auto_sub *table, const void *client)
{
	for(size_t i = 0; i < table->count; i++){
		if(table->items[i].client == client) return &table->items[i];
	}
	return NULL;
}

bool otagw_auto_sub_add(struct otagw_auto_sub *table, const void *client, const char *client_id)
{
	char *id_copy;

	if(client == NULL || client_id == NULL) return false;
	id_copy = strdup(client_id);
	if(id_copy == NULL) return false;
	otagw_auto_sub_remove(table, client);
	if(table->count == table->cap){
		size_t cap = table->cap ? table->cap * 2 : 8;
		struct otagw_auto_sub_client *items = realloc(table->items, cap * sizeof(*items));

		if(items == NULL){
			free(id_copy);
			return false;
		}
		table->items = items;
		table->cap = cap;
	}
	memset(&table->items[table->count], 0, sizeof(table->items[table->count]));
	table->items[table->count].client = client;
	table->items[table->count].client_id = id_copy;
	table->count++;
	return true;
}

void otagw_auto_sub_remove(struct otagw_auto_sub *table, const void *client)
{
	struct otagw_auto_sub_client *record = otagw_auto_sub_find(table, client);

	if(record == NULL) return;
	free_record(record);
	/* Order does not matter: move the last record into the hole. */
	*record = table->items[table->count - 1];
	table->count--;
}

/* A shared subscription `$share/{group}/{filter}` matches as `{filter}`. */
static const char *plain_filter(const char *filter)
{
	const char *slash;

	if(strncmp(filter, "$share/", 7) != 0) return filter;
	slash = strchr(filter + 7, '/');
	return slash != NULL ? slash + 1 : filter;
}

void otagw_auto_sub_subscribed(struct otagw_auto_sub_client *record, const char *filter)
{
	char *copy;

	if(record == NULL || filter == NULL) return;
	filter = plain_filter(filter);
	if(strnlen(filter, OTAGW_AUTO_SUB_FILTER_LEN_MAX + 1) > OTAGW_AUTO_SUB_FILTER_LEN_MAX){
		record->filters_overflowed = true;
		return;
	}
	for(size_t i = 0; i < record->filter_count; i++){
		if(strcmp(record->filters[i], filter) == 0) return;
	}
	if(record->filter_count >= OTAGW_AUTO_SUB_FILTERS_MAX){
		record->filters_overflowed = true;
		return;
	}
	if(record->filter_count == record->filter_cap){
		size_t cap = record->filter_cap ? record->filter_cap * 2 : 8;
		char **filters = realloc(record->filters, cap * sizeof(*filters));

		if(filters == NULL){
			record->filters_overflowed = true;
			return;
		}
		record->filters = filters;
		record->filter_cap = cap;
	}
	copy = strdup(filter);
	if(copy == NULL){
		record->filters_overflowed = true;
		return;
	}
	record->filters[record->filter_count++] = copy;
}

void otagw_auto_sub_unsubscribed(struct otagw_auto_sub_client *record, const char *filter)
{
	if(record == NULL || filter == NULL) return;
	filter = plain_filter(filter);
	for(size_t i = 0; i < record->filter_count; i++){
		if(strcmp(record->filters[i], filter) == 0){
			free(record->filters[i]);
			record->filters[i] = record->filters[record->filter_count - 1];
			record->filter_count--;
			return;
		}
	}
}

bool otagw_auto_sub_covers(const struct otagw_auto_sub_client *record, const char *topic)
{
	for(size_t i = 0; i < record->filter_count; i++){
		bool match = false;

		if(mosquitto_topic_matches_sub(record->filters[i], topic, &match) == MOSQ_ERR_SUCCESS && match) return true;
	}
	return false;
}

void otagw_auto_sub_clear(struct otagw_auto_sub *table)
{
	for(size_t i = 0; i < table->count; i++) free_record(&table->items[i]);
	free(table->items);
	memset(table, 0, sizeof(*table));
}
